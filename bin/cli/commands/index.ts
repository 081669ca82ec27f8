/** Every CLI command, in the order --help lists them. A new command is one file plus one line here. */
import type { Command } from '../command.ts';
import { coordinatorCommand } from './coordinator.ts';
import { decodeCommand } from './decode.ts';
import { groupsCommand } from './groups.ts';
import { offsetsCommand } from './offsets.ts';
import { partitionForCommand } from './partition-for.ts';
import { partitionsCommand } from './partitions.ts';

export const COMMANDS: readonly Command[] = [partitionForCommand, coordinatorCommand, partitionsCommand, groupsCommand, offsetsCommand, decodeCommand];
