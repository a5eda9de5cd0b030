/** `syslog`: receives syslog messages over UDP or TCP (RFC 5424 and RFC 3164, RFC 6587 framing). */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { SyslogSource } from './server.js';

export const config = s.object({
  mode: s.enum('udp', 'tcp').required().desc('Transport. TCP gives backpressure and no loss; UDP drops (counted, logged) when the pipeline falls behind.'),
  address: s.string().default('127.0.0.1:5514').desc('host:port to listen on (`[::1]:5514` for IPv6). Use 0.0.0.0 to accept from other hosts.'),
  max_message_bytes: s.bytes().default('64KiB').desc('Longest message accepted; longer ones go to the errors output (code line_too_long), and a TCP connection carries on.'),
  framing: s.enum('auto', 'octet_counting', 'newline').default('auto')
    .desc('TCP framing (RFC 6587). `auto` decides per connection from the first byte: a digit means octet counting (`<len> <msg>`), anything else one message per line.'),
  max_connections: s.int(1).default(256).desc('TCP connections served at once; more are refused (and logged).'),
  idle_timeout: s.duration().default('5m').desc('Close a TCP connection that sent nothing for this long.'),
  parse: s.bool().default(true)
    .desc('Parse each message (RFC 5424 or RFC 3164, detected per message) into facility, severity, timestamp, hostname, appname, procid, msgid, structured_data, message. Unparseable messages go to the errors output with the raw text. `false`: events are `{ message }` only.'),
  timezone: s.enum('local', 'utc').default('local').desc('Zone for RFC 3164 timestamps, which carry none.'),
  host_key: s.string().default('source_ip').desc('Field that receives the sender\'s IP address; an empty string adds no field.'),
});

export default defineComponent({
  type: 'syslog',
  kind: 'source',
  status: 'beta',
  summary: 'Receive syslog over UDP or TCP (RFC 5424, RFC 3164), parsed into fields.',
  description: [
    'Listens for syslog messages. Over TCP both RFC 6587 framings are understood (octet counting,',
    'so messages may contain newlines, and newline-terminated); over UDP each datagram is one message.',
    'While the pipeline is busy, TCP connections are paused, so senders slow down instead of events',
    'piling up in memory. UDP senders cannot be slowed down: beyond a bounded backlog, datagrams are',
    'dropped and the count is logged.',
  ].join('\n'),
  config,
  build: (cfg) => {
    const addr = parseAddress(cfg.address);
    if (!addr) throw new ComponentConfigError(`invalid address ${JSON.stringify(cfg.address)}`, ['address'], 'write host:port, e.g. 127.0.0.1:5514 or [::1]:5514');
    return new SyslogSource({
      mode: cfg.mode,
      host: addr.host,
      port: addr.port,
      maxMessageBytes: cfg.max_message_bytes,
      framing: cfg.framing,
      maxConnections: cfg.max_connections,
      idleTimeoutMs: cfg.idle_timeout,
      parse: cfg.parse,
      hostKey: cfg.host_key,
      timezone: cfg.timezone,
    });
  },
});

/** `host:port` or `[v6]:port`; port 0 picks a free port (tests). */
export function parseAddress(text: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  return port <= 65535 ? { host: m[1]!, port } : null;
}
