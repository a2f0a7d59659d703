"""A real Postfix, run from a throwaway directory on 127.0.0.1, for tests and for recording
sessions: one master process, one smtpd listener per :class:`Configuration`.

Nothing of the system's own Postfix is used or touched (no file under /etc/postfix or
/var/spool/postfix is read for its settings or written): as root, ``-c DIR`` (MAIL_CONFIG) needs
no ``alternate_config_directories`` entry; only set-gid commands (postdrop, postqueue) check
that list, and none runs here. Why the start is done by hand:

* ``master -d`` runs directly instead of ``postfix start``: postfix-script's integrity checks
  (post-install, find over the queue) take about 2.5 s; the directories they would create are
  made here, with the owners and modes of postfix-files.
* A small supervisor (:data:`_SUPERVISOR`) is the master's parent and a child subreaper: on
  stop it signals the master's process group, reaps every Postfix process (where PID 1 does
  not reap, orphans would stay zombies) and kills what outlives a bounded wait; it also stops
  Postfix when its parent dies (its stdin closes), so no instance outlives its test run.

* main.cf and master.cf are dated an hour back: Postfix rereads a file younger than two
  seconds until it is (about 2 s at every daemon's start).

Accepted mail goes to the ``discard`` transport, whatever the domain; nothing listens but the
smtpd services on 127.0.0.1; logs go to ``maillog_file`` in the directory (postlogd), not to
syslog. The TLS certificate is the harness's ``trusted`` one, so clients that trust
:func:`harness.server.ca_file` verify it. AUTH uses Cyrus SASL with a sasldb in the directory,
made by saslpasswd2. Needs root and the Debian packages postfix, sasl2-bin (saslpasswd2) and
libsasl2-modules (PLAIN, LOGIN).
"""

from __future__ import annotations

import contextlib
import functools
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from harness.server.certificates import pem_files

HOST = "127.0.0.1"
MYHOSTNAME = "postfix.test"
USERS = ("rcpt", "a", "b", "c", "alice", "busy")
"""Mailboxes at example.com that Postfix accepts (busy is known, but deferred where so set)."""
SASL_USER, SASL_PASSWORD = "alice", "secret"
SIZE_LIMIT = 10000
START_TIMEOUT = 20.0
GRACE = 5
"""Seconds Postfix's processes have to exit after SIGTERM, before SIGKILL."""
STOP_TIMEOUT = 10.0

Overrides = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Configuration:
    """One smtpd listener: the main.cf settings it overrides (master.cf ``-o``)."""

    name: str
    description: str
    smtpd: Overrides = ()
    cleanup: Overrides = ()
    """Overrides for a cleanup service of its own (cleanup checks the size after DATA)."""
    greeting_delay: float = 0.0
    """Seconds Postfix waits, by design, before its 220 greeting (the start does not wait)."""


NO_DELAY = ("smtpd_delay_reject", "no")
CONFIGURATIONS: tuple[Configuration, ...] = (
    Configuration("accept", "Postfix with its defaults, but accepting every recipient: offers "
                  "PIPELINING, SIZE, 8BITMIME, CHUNKING; no STARTTLS, no AUTH",
                  smtpd=(("smtpd_reject_unlisted_recipient", "no"),)),
    Configuration("recipient-unknown", "Postfix that rejects unknown recipients such as "
                  "bad@example.com at RCPT with 550 5.1.1"),
    Configuration("recipient-deferred", "Postfix that defers busy@example.com at RCPT with "
                  "450 4.2.1", smtpd=(("smtpd_recipient_restrictions",
                                       "check_recipient_access inline:{ "
                                       "{ busy@example.com = 450 4.2.1 Mailbox busy } }"),)),
    Configuration("size-limit", f"Postfix with a {SIZE_LIMIT}-byte message size limit: 552 "
                  "5.3.4 at MAIL for a larger SIZE=, after DATA for a larger message",
                  smtpd=(("message_size_limit", str(SIZE_LIMIT)),),
                  cleanup=(("message_size_limit", str(SIZE_LIMIT)),)),
    Configuration("sender-refused", "Postfix that refuses the sender refused@example.com "
                  "with 554 5.7.1 at RCPT, not MAIL (smtpd_delay_reject = yes, the default)",
                  smtpd=(("smtpd_sender_restrictions",
                          "check_sender_access inline:{refused@example.com=REJECT}"),)),
    Configuration("sender-refused-at-mail", "Postfix that refuses the sender "
                  "refused@example.com with 554 5.7.1 at MAIL (smtpd_delay_reject = no)",
                  smtpd=(("smtpd_sender_restrictions",
                          "check_sender_access inline:{refused@example.com=REJECT}"),
                         NO_DELAY)),
    Configuration("slow-greeting", "Postfix that waits 4 seconds before its 220 greeting",
                  smtpd=(("smtpd_client_restrictions", "sleep 4"), NO_DELAY),
                  greeting_delay=4.0),
    Configuration("starttls", "Postfix that offers STARTTLS (certificate of the harness CA)",
                  smtpd=(("smtpd_tls_security_level", "may"),)),
    Configuration("starttls-required", "Postfix that requires STARTTLS: 530 5.7.0 to MAIL "
                  "before it", smtpd=(("smtpd_tls_security_level", "encrypt"),)),
    Configuration("no-pipelining", "Postfix that does not offer PIPELINING and disconnects a "
                  "client that pipelines anyway (554 5.5.0)",
                  smtpd=(("smtpd_discard_ehlo_keywords", "silent-discard, pipelining"),
                         ("smtpd_forbid_unauth_pipelining", "yes"))),
    Configuration("recipient-limit", "Postfix that takes at most 2 recipients per message: "
                  "452 4.5.3 to the third", smtpd=(("smtpd_recipient_limit", "2"),)),
    Configuration("client-rejected", "Postfix that rejects the client at connect: a 554 5.7.1 "
                  "greeting, then 503 5.7.0 to every command but QUIT",
                  smtpd=(("smtpd_client_restrictions", "reject"), NO_DELAY)),
    Configuration("auth", f"Postfix that offers AUTH PLAIN LOGIN (Cyrus SASL, {SASL_USER} / "
                  f"{SASL_PASSWORD}); 535 5.7.8 to a wrong password",
                  smtpd=(("smtpd_sasl_auth_enable", "yes"),)),
)

_SUPERVISOR = r"""
import ctypes, os, signal, sys, threading  # argv: grace seconds, master command
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: Postfix's orphans come here
master = os.fork()
if master == 0:
    os.setpgid(0, 0)  # the master signals its own process group on SIGTERM: it must lead one
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.execv(sys.argv[2], sys.argv[2:])
try:
    os.setpgid(master, master)
except OSError:
    pass  # the child did it first
print(master, flush=True)
def kill(signum, frame=None):
    try:
        os.killpg(master, signum)
    except ProcessLookupError:
        pass
def stop(signum, frame):
    signal.setitimer(signal.ITIMER_REAL, float(sys.argv[1]))  # then SIGKILL
    kill(signal.SIGTERM)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGALRM, lambda signum, frame: kill(signal.SIGKILL))
main = threading.main_thread().ident  # a signal to it interrupts its os.wait()
threading.Thread(target=lambda: (sys.stdin.read(), signal.pthread_kill(main, signal.SIGTERM)),
                 daemon=True).start()
status = 0
while True:
    try:
        pid, wait_status = os.wait()
    except ChildProcessError:
        break
    if pid == master:
        status = os.waitstatus_to_exitcode(wait_status)
        # The rest had SIGTERM (from the master, or here): one that is still there is asleep
        # in Postfix's msg_fatal(), which waits a second before it exits.
        kill(signal.SIGTERM)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
sys.exit(0 if status == -signal.SIGTERM else status)
"""


def _program(name: str) -> str:
    """A Postfix or Cyrus SASL command: root's PATH has /usr/sbin, others' may not."""
    path = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/sbin"))
    return shutil.which(name, path=path) or name


@functools.cache
def _postconf(name: str) -> str:
    """A default (compiled-in) Postfix parameter: directories, user names, version."""
    return subprocess.run([_program("postconf"), "-dh", name], capture_output=True, text=True,
                          check=True, timeout=10).stdout.strip()


def master() -> str:
    """The path of Postfix's master daemon (it is not on PATH)."""
    return str(Path(_postconf("daemon_directory"), "master"))


def unavailable() -> str | None:
    """Why a Postfix instance cannot run here, or None: Postfix, root, and Cyrus SASL's tools."""
    if _program("postconf") == "postconf":
        return "Postfix is not installed (Debian package postfix)"
    if os.geteuid() != 0:
        return "Postfix must be started as root (its master binds, then drops privileges)"
    if _program("saslpasswd2") == "saslpasswd2":
        return "saslpasswd2 is not installed (Debian package sasl2-bin)"
    try:
        pwd.getpwnam(_postconf("mail_owner"))
        grp.getgrnam(_postconf("setgid_group"))
    except KeyError as error:
        return f"Postfix's user or group is missing: {error}"
    return None


def _free_ports(count: int) -> list[int]:
    """Ports free right now (held together, so distinct); another process may yet take one."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _taken(port: int) -> bool:
    """Another process listens on ``port`` (probed as the master binds: SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
        return False


def _greeting(port: int, read: bool) -> bool:
    """The listener accepts (and greets, when ``read``); False: not yet, or not Postfix (a
    process that took the port first accepts, and never greets)."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as sock:
            if not read:
                return True
            line = b""
            while not line.endswith(b"\n"):
                chunk = sock.recv(512)
                if not chunk:
                    return False
                line += chunk
            if not line[:3].isdigit():  # 220, or 554 where the client is refused at connect
                raise RuntimeError(f"Postfix on port {port} greeted {line!r}")
            return True
    except (ConnectionRefusedError, TimeoutError):
        return False


class Postfix:
    """One master process from a fresh directory, one smtpd listener per configuration on
    127.0.0.1 (ephemeral ports, chosen again when another process takes one first).

    The postfix user must be able to enter ``directory`` (its daemons open files there by
    path): tempfile.mkdtemp() will do, pytest's tmp_path (under a 0700 directory) will not.
    """

    def __init__(self, directory: Path,
                 configurations: tuple[Configuration, ...] = CONFIGURATIONS) -> None:
        self.directory = directory
        self.configurations = configurations
        self._ports: dict[str, int] = {}
        self._process: subprocess.Popen[str] | None = None
        self._master = 0

    @property
    def version(self) -> str:
        """The installed Postfix's version, e.g. 3.7.11."""
        return _postconf("mail_version")

    def port(self, name: str) -> int:
        return self._ports[name]

    def log(self) -> str:
        """The maillog so far (postlogd writes it a moment after the event)."""
        path = self.directory / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> Postfix:
        self._prepare()
        for _attempt in range(5):
            ports = _free_ports(len(self.configurations))
            self._ports = {c.name: port for c, port in zip(self.configurations, ports,
                                                          strict=True)}
            _write_cool(self.directory / "config" / "master.cf", self._master_cf())
            try:
                self._start()
                return self
            except _PortTaken:
                self._stop()
            except BaseException:
                self._stop()
                raise
        raise RuntimeError("Postfix: ports taken by other processes in 5 attempts")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop()

    def _start(self) -> None:
        log_size = len(self.log())
        with (self.directory / "master.stderr").open("a") as stderr:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _SUPERVISOR, str(GRACE),
                 master(), "-d", "-c", str(self.directory / "config")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                start_new_session=True,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(self._failure("supervisor failed", log_size))
        self._master = int(line)
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(self.configurations)
        while waiting:
            if self._process.poll() is not None:
                if any(_taken(port) for port in self._ports.values()):
                    raise _PortTaken
                raise RuntimeError(self._failure("exited while starting", log_size))
            if time.monotonic() > deadline:
                raise RuntimeError(self._failure(f"did not greet within {START_TIMEOUT} s",
                                                 log_size))
            if _greeting(self._ports[waiting[0].name], not waiting[0].greeting_delay):
                waiting.pop(0)
            else:
                time.sleep(0.01)

    def _failure(self, what: str, log_size: int) -> str:
        """What went wrong: the master reports its early errors to syslog only (none in a
        container), so ``postfix check`` (which logs to maillog_file) runs to say more."""
        check = subprocess.run([_program("postfix"), "-c", str(self.directory / "config"),
                                "check"], capture_output=True, text=True, timeout=60)
        stderr = (self.directory / "master.stderr").read_text(errors="replace")
        return (f"Postfix {what}; maillog and postfix check say:\n{self.log()[log_size:]}"
                f"{check.stdout}{check.stderr}{stderr}")

    def _stop(self) -> None:
        """Close the supervisor's stdin (it stops and reaps Postfix); kill on a bounded wait."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            for pgid in (self._master, process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
        finally:
            process.stdout.close()

    def _prepare(self) -> None:
        """The directories (as post-install makes them), certificate, SASL users and main.cf."""
        owner = _postconf("mail_owner")
        group = _postconf("setgid_group")
        _check_reachable(self.directory, pwd.getpwnam(owner).pw_uid)
        self.directory.mkdir(exist_ok=True)
        self.directory.chmod(0o711)  # Postfix's daemons open paths in it as the postfix user
        queue = self.directory / "queue"
        for path, mode, user, group_ in (
                (self.directory / "config", 0o755, "root", "root"),
                (queue, 0o755, "root", "root"),
                (queue / "pid", 0o755, "root", "root"),
                (queue / "maildrop", 0o730, owner, group),
                (queue / "public", 0o710, owner, group),
                *((queue / name, 0o700, owner, "root") for name in (
                    "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                    "incoming", "private", "saved", "trace")),
                (self.directory / "data", 0o700, owner, "root"),
                (self.directory / "tls", 0o700, "root", "root"),
                (self.directory / "config" / "sasl", 0o755, "root", "root")):
            path.mkdir(parents=True, exist_ok=True)
            shutil.chown(path, user, group_)
            path.chmod(mode)
        key, chain = pem_files(self.directory / "tls")
        # Debian's Postfix reads Cyrus SASL's smtpd.conf from $config_directory/sasl.
        sasldb = self.directory / "config" / "sasl" / "sasldb2"
        (sasldb.parent / "smtpd.conf").write_text(
            f"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
            f"sasldb_path: {sasldb}\n")
        subprocess.run([_program("saslpasswd2"), "-c", "-p", "-f", str(sasldb), "-u", MYHOSTNAME,
                        SASL_USER], input=SASL_PASSWORD, text=True, check=True, timeout=10)
        shutil.chown(sasldb, owner, "root")
        sasldb.chmod(0o600)
        _write_cool(self.directory / "config" / "main.cf", self._main_cf(key, chain))

    def _main_cf(self, key: Path, chain: Path) -> str:
        d = self.directory
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": d / "queue",
            "data_directory": d / "data",
            "maillog_file": d / "maillog",
            "maillog_file_prefixes": d,
            "myhostname": MYHOSTNAME,
            "mydomain": MYHOSTNAME,
            "myorigin": "$myhostname",
            "inet_interfaces": HOST,
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            # No DNS, no waiting: the client is "unknown", the SMTP client never runs anyway.
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            # Known mailboxes at example.com; everything accepted is discarded, never delivered.
            "relay_domains": "example.com",
            "relay_recipient_maps": "inline:{"
                                    + ", ".join(f"{user}@example.com=ok" for user in USERS)
                                    + "}",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "relay_transport": "discard",
            "default_transport": "discard",
            "local_transport": "discard",
            "virtual_transport": "discard",
            "biff": "no",
            # TLS and SASL material; each listener chooses whether to use it.
            "smtpd_tls_chain_files": f"{key}, {chain}",
            "smtpd_sasl_local_domain": MYHOSTNAME,
        }
        return "".join(f"{name} = {value}\n" for name, value in settings.items())

    def _master_cf(self) -> str:
        chroot = "n"  # no chroot: the daemons need nothing copied into the queue directory
        lines = []
        for configuration in self.configurations:
            # Logged as postfix/<configuration>/smtpd (and .../cleanup for its own cleanup).
            tag = ("syslog_name", f"postfix/{configuration.name}")
            smtpd = list(configuration.smtpd)
            if configuration.cleanup:
                service = f"cleanup-{configuration.name}"
                lines.append(f"{service} unix n - {chroot} - 0 cleanup"
                             + _options((tag, *configuration.cleanup)))
                smtpd.append(("cleanup_service_name", service))
            lines.append(f"{HOST}:{self._ports[configuration.name]} inet n - {chroot} - - smtpd"
                         + _options((tag, *smtpd)))
        for service, kind, private, limit, wakeup, command in (
                ("cleanup", "unix", "n", "0", "-", "cleanup"),
                ("qmgr", "unix", "n", "1", "300", "qmgr"),
                ("tlsmgr", "unix", "-", "1", "1000?", "tlsmgr"),
                ("rewrite", "unix", "-", "-", "-", "trivial-rewrite"),
                ("bounce", "unix", "-", "0", "-", "bounce"),
                ("defer", "unix", "-", "0", "-", "bounce"),
                ("trace", "unix", "-", "0", "-", "bounce"),
                ("flush", "unix", "n", "0", "1000?", "flush"),
                ("discard", "unix", "-", "-", "-", "discard"),
                ("error", "unix", "-", "-", "-", "error"),
                ("retry", "unix", "-", "-", "-", "error"),
                ("anvil", "unix", "-", "1", "-", "anvil"),
                ("postlog", "unix-dgram", "n", "1", "-", "postlogd")):
            lines.append(f"{service} {kind} {private} - {chroot} {wakeup} {limit} {command}")
        return "\n".join(lines) + "\n"


def _write_cool(path: Path, text: str) -> None:
    """Write a configuration file dated an hour ago: Postfix rereads a file changed within the
    last two seconds, every 300 ms, until it has "cooled down" (2 s at each daemon's start)."""
    path.write_text(text)
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))


def _check_reachable(directory: Path, uid: int) -> None:
    """Postfix's daemons open files under ``directory`` by absolute path as ``uid`` (the master
    its lock in data_directory, for one): every ancestor must let it through."""
    for ancestor in directory.absolute().parents:
        status = ancestor.stat()
        if not status.st_mode & 0o001 and status.st_uid != uid:
            raise ValueError(f"{directory}: the postfix user cannot enter {ancestor} (mode "
                             f"{status.st_mode & 0o777:o}); use a directory such as "
                             "tempfile.mkdtemp() (pytest's tmp_path is under a 0700 directory)")


def _options(overrides: Overrides) -> str:
    """master.cf ``-o`` options; the brace form allows spaces and commas in values."""
    return "".join(f" -o {{ {name} = {value} }}" for name, value in overrides)


class _PortTaken(Exception):
    """A listener's port was taken between choosing it and the master binding it."""
