import { once } from 'node:events';
import { InvalidArgumentError, type Command } from 'commander';
import { isSubscriberNumber } from '../common/phone/phone-number.js';
import {
  SIMULATOR_SOURCE_ADDRESS,
  startNetworkSimulator,
} from '../modules/operators/network-simulator.js';

function parseNumber(value: string): string {
  if (!isSubscriberNumber(value))
    throw new InvalidArgumentError('must be an E.164 number such as +962791234567');
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('must be a port number');
  return port;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** CLI commands of the operators module; the simulator needs no database. */
export function registerOperatorsCommands(program: Command): void {
  program
    .command('sandbox:mobile-network')
    .description(
      `Run the operator network simulator: an HTTP proxy that adds the subscriber's number to plain-HTTP requests (header enrichment) and connects from ${SIMULATOR_SOURCE_ADDRESS}, the sandbox operators' trusted range. Point a browser at it with --proxy-server to be "on mobile data".`,
    )
    .requiredOption('--msisdn <number>', "the subscriber's number, E.164", parseNumber)
    .option('--port <port>', 'port to listen on, on 127.0.0.1', parsePort, 8099)
    .option('--header <name>', 'enrichment header', 'x-msisdn')
    .option(
      '--enrich-host <host:port>',
      'enrich only requests to this host (repeatable; default: every host)',
      collect,
    )
    .option('--source-address <ip>', 'address to connect to servers from', SIMULATOR_SOURCE_ADDRESS)
    .action(
      async (options: {
        msisdn: string;
        port: number;
        header: string;
        enrichHost?: string[];
        sourceAddress: string;
      }) => {
        const simulator = await startNetworkSimulator({
          msisdn: options.msisdn,
          port: options.port,
          header: options.header,
          enrichHosts: options.enrichHost,
          sourceAddress: options.sourceAddress,
        });
        process.stdout.write(
          [
            `Mobile network simulator on ${simulator.url}: subscriber ${options.msisdn}, header ${options.header}, from ${options.sourceAddress}.`,
            `Browse "on mobile data": chromium --proxy-server=${simulator.url} --proxy-bypass-list='<-loopback>'`,
            'Ctrl-C stops it.',
            '',
          ].join('\n'),
        );
        await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
        await simulator.close();
      },
    );
}
