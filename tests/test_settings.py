import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_web_server_refuses_to_start_without_a_secret_key():
    result = run("-c", "import sys; sys.argv = ['gunicorn']; import django; django.setup()")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_maintenance_commands_run_without_a_secret_key():
    result = run("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_debug_uses_a_development_key():
    result = run(
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY)",
        DEBUG="1",
    )
    assert result.stdout.startswith("django-insecure-development-only")
