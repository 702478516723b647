/** The hub's copy of the room's files. (The file store lands in the next commits.) */
import express, { type Router } from 'express';
import type { JoinAuth } from '../join-auth.ts';

export interface FilesRouterDeps {
  dataDir: string;
  auth: JoinAuth;
}

export function filesRouter(_deps: FilesRouterDeps): Router {
  return express.Router();
}
