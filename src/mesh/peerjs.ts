/**
 * The one place the app constructs PeerJS peers (the mesh gets this factory from the composition
 * root). Importing PeerJS runs its browser probes, which is why nothing else imports it.
 */
import { Peer, type PeerOptions } from 'peerjs';
import type { PeerFactory } from './mesh.ts';

export const createPeer: PeerFactory = (id: string, options: PeerOptions) => new Peer(id, options);
