import type { PrismaClient } from '../db';

export type TokenDb = PrismaClient;
