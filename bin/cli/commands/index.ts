/** Every CLI command, in the order --help lists them. A new command is one file plus one line here. */
import type { Command } from '../command.ts';
import { coordinatorCommand } from './coordinator.ts';
import { approveCommand, rejectCommand } from './decide.ts';
import { decodeCommand } from './decode.ts';
import { diagnoseCommand } from './diagnose.ts';
import { exportCommand } from './export.ts';
import { groupsCommand } from './groups.ts';
import { offsetsCommand } from './offsets.ts';
import { partitionForCommand } from './partition-for.ts';
import { partitionsCommand } from './partitions.ts';
import { planCommand } from './plan.ts';
import { playbookCommand } from './playbook.ts';
import { seedCommand } from './seed.ts';
import { verifyCommand } from './verify.ts';

export const COMMANDS: readonly Command[] = [
  diagnoseCommand,
  partitionForCommand,
  coordinatorCommand,
  partitionsCommand,
  groupsCommand,
  offsetsCommand,
  exportCommand,
  planCommand,
  seedCommand,
  verifyCommand,
  playbookCommand,
  approveCommand,
  rejectCommand,
  decodeCommand,
];
