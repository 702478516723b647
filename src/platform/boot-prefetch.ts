/**
 * Imported by main.ts before the app's other modules: the boot read (identity, settings, the
 * current room and its credential) starts while the rest of the bundle evaluates.
 */
import { prefetchBootState } from './storage.ts';

prefetchBootState();
