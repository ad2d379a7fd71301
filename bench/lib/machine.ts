import os from 'node:os';
import { serverVersion } from './postgres.js';

export interface MachineFacts {
  date: string;
  cpuCount: number;
  cpuModel: string;
  totalMemoryMb: number;
  node: string;
  postgres: string;
  platform: string;
}

export async function machineFacts(): Promise<MachineFacts> {
  return {
    date: new Date().toISOString(),
    cpuCount: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    postgres: await serverVersion(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}
