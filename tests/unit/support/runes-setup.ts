/** The `runes` project (vitest.config.ts): a real IndexedDB implementation for storage. */
import 'fake-indexeddb/auto';
