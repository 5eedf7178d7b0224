"""A small Python language host for the Pulumi CLI.

Pulumi's own host (`pulumi-language-python`, Go) is not served by the Go module proxy this project
can reach, so the CLI build installs this stand-in under the same name. It speaks the engine's
LanguageRuntime gRPC protocol and runs programs exactly as the Go host does: it starts
`<python> pulumi-language-python-exec --monitor ... PROGRAM` (the script shipped with the SDK,
installed next to it) with the stack config in `PULUMI_CONFIG`. It supports what `pulumi preview`,
`up`, `refresh`, `destroy` and `about` need for a program with no plugin dependencies;
`pulumi install`, code generation and policy packs are not supported.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

_HERE = os.path.dirname(os.path.abspath(__file__))
_EXEC_SCRIPT = os.path.join(_HERE, "pulumi-language-python-exec")
_USER_ACTIONABLE_EXIT = 32
_CHILDREN: set[subprocess.Popen[bytes]] = (
    set()
)  # the exec script's "error already shown to the user" code


def _python_for(info: language_pb2.ProgramInfo | None) -> str:
    """The interpreter named by the project's `virtualenv` runtime option, else our own."""
    if info is not None:
        options = dict(info.options) if info.options else {}
        venv = options.get("virtualenv")
        if isinstance(venv, str) and venv:
            root = info.root_directory or os.getcwd()
            path = venv if os.path.isabs(venv) else os.path.join(root, venv)
            candidate = os.path.join(path, "bin", "python")
            if os.path.exists(candidate):
                return candidate
    return os.environ.get("PULUMI_PYTHON_CMD") or sys.executable


class StandInLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def Handshake(self, request, context):
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=os.environ.get("PULUMI_STANDIN_VERSION", ""))

    def GetRequiredPlugins(self, request, context):
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request, context):
        return language_pb2.GetRequiredPackagesResponse()

    def GetProgramDependencies(self, request, context):
        return language_pb2.GetProgramDependenciesResponse()

    def About(self, request, context):
        python = _python_for(request.info if request.HasField("info") else None)
        version = subprocess.run(
            [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return language_pb2.AboutResponse(executable=python, version=version)

    def Run(self, request, context):
        info = request.info if request.HasField("info") else None
        python = _python_for(info)
        program = request.program
        if info is not None and info.program_directory:
            program = os.path.join(info.program_directory, info.entry_point or "")
            program = program.rstrip("/") or info.program_directory
        args = [
            python,
            "-u",
            _EXEC_SCRIPT,
            "--monitor",
            request.monitor_address,
            "--engine",
            request.args[0] if request.args else "",
            "--project",
            request.project,
            "--stack",
            request.stack,
            "--pwd",
            request.pwd,
            "--dry_run",
            "true" if request.dryRun else "false",
            "--parallel",
            str(request.parallel),
            "--organization",
            request.organization,
        ]
        if info is not None and info.root_directory:
            args += ["--root_directory", info.root_directory]
        args.append(program)
        env = dict(os.environ)
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        if python != sys.executable:
            venv_bin = os.path.dirname(python)
            env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
            env.pop("PYTHONHOME", None)
        child = subprocess.Popen(args, cwd=request.pwd or None, env=env)
        _CHILDREN.add(child)
        try:
            child.wait()
        finally:
            _CHILDREN.discard(child)
        completed = child
        if completed.returncode == 0:
            return language_pb2.RunResponse()
        if completed.returncode == _USER_ACTIONABLE_EXIT:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(
            error=f"Program exited with non-zero exit code: {completed.returncode}"
        )


def _watch_engine(address: str, server: grpc.Server) -> None:
    """Exit when the engine is gone (a killed CLI): its program must not go on writing."""
    host, _, port = address.rpartition(":")
    misses = 0
    while True:
        time.sleep(1.0)
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=2):
                misses = 0
        except (OSError, ValueError):
            misses += 1
        if misses > 2:
            for child in list(_CHILDREN):
                child.kill()
            server.stop(grace=0)
            os._exit(70)


def main() -> None:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(StandInLanguageHost(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    # The engine stops plugins with SIGINT when it is done: that is a normal exit, not an error.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: server.stop(grace=1))
    # The engine reads the port from the first line of stdout.
    print(port, flush=True)
    if len(sys.argv) > 1 and ":" in sys.argv[-1]:
        threading.Thread(target=_watch_engine, args=(sys.argv[-1], server), daemon=True).start()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
