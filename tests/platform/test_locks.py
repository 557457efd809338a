"""The committed locks against pyproject.toml, and the install steps `make setup` runs (offline)."""

import importlib.util
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.install import install_steps, machine_notice, pinned_block
from tools.lock import (
    EXTRAS,
    METAL_SUPPORTED_TENSORFLOW,
    REFERENCE,
    REPO_ROOT,
    TARGETS,
    Target,
    find_target,
    metal_pair_error,
    pinned_versions,
)

MAC_311 = Target("darwin", "arm64", "3.11", "aarch64-apple-darwin")
MAC_313 = Target("darwin", "arm64", "3.13", "aarch64-apple-darwin")
LINUX_311 = Target("linux", "x86_64", "3.11", "x86_64-manylinux_2_28")


def marker_environment(target: Target, extra: str) -> dict[str, str]:
    """The values a marker sees on `target` when `extra` is being installed."""
    system = {"darwin": "Darwin", "linux": "Linux"}[target.system]
    return {
        **{key: str(value) for key, value in default_environment().items()},
        "sys_platform": target.system,
        "platform_system": system,
        "platform_machine": target.machine,
        "python_version": target.python,
        "python_full_version": f"{target.python}.0",
        "os_name": "posix",
        "extra": extra,
    }


def requirements_for(target: Target) -> list[Requirement]:
    """pyproject.toml's requirements (core and `make setup`'s extras) that apply on `target`."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    listed = [(line, "") for line in project["dependencies"]]
    for extra in EXTRAS:
        listed += [(line, extra) for line in project["optional-dependencies"][extra]]
    applying = []
    for line, extra in listed:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or marker.evaluate(marker_environment(target, extra)):
            applying.append(requirement)
    return applying


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_lock_pins_every_requirement_at_an_allowed_version(target):
    pins = pinned_versions(target.lock_path.read_text())
    requirements = requirements_for(target)
    assert len(requirements) >= 20
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{target.name}: {name} is not locked: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{target.name}: {name}=={pins[name]} is outside {requirement.specifier}: run make lock"
        )


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_every_locked_package_carries_a_hash(target):
    blocks = target.lock_path.read_text().split("==")[1:]
    assert blocks
    for block in blocks:
        assert "--hash=sha256:" in block.split("\n    # via")[0], block[:80]


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_locked_tensorflow_pair_is_supported(target):
    pins = pinned_versions(target.lock_path.read_text())
    assert metal_pair_error(pins, target) is None
    if target.gets_metal:
        supported = METAL_SUPPORTED_TENSORFLOW[pins["tensorflow-metal"]]
        assert pins["tensorflow"].startswith(f"{supported}.")
    else:
        assert "tensorflow-metal" not in pins


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_metal_extra_adds_the_plugin_and_its_tensorflow_on_apple_silicon_only(target):
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    applying = [
        canonicalize_name(requirement.name)
        for requirement in map(Requirement, project["optional-dependencies"]["metal"])
        if requirement.marker is None
        or requirement.marker.evaluate(marker_environment(target, "metal"))
    ]
    assert applying == (["tensorflow-metal", "tensorflow"] if target.gets_metal else [])


def test_only_apple_silicon_up_to_python_312_gets_the_plugin():
    assert [target.name for target in TARGETS if target.gets_metal] == [
        "darwin-arm64-py3.11",
        "darwin-arm64-py3.12",
    ]


@pytest.mark.parametrize(
    ("target", "pins", "complaint"),
    [
        (MAC_311, {"tensorflow": "2.21.0", "tensorflow-metal": "1.2.0"}, "needs TensorFlow 2.18"),
        (MAC_311, {"tensorflow": "2.18.1"}, "no tensorflow-metal"),
        (MAC_311, {"tensorflow": "2.18.1", "tensorflow-metal": "1.1.0"}, "not in the table"),
        (MAC_313, {"tensorflow": "2.21.0", "tensorflow-metal": "1.2.0"}, "tensorflow-metal 1.2.0"),
        (LINUX_311, {"tensorflow": "2.21.0", "tensorflow-metal": "1.2.0"}, "tensorflow-metal"),
        (LINUX_311, {"numpy": "2.4.6"}, "no tensorflow"),
    ],
)
def test_unsupported_pairs_are_named(target, pins, complaint):
    error = metal_pair_error(pins, target)
    assert error is not None and complaint in error and target.name in error


def test_pinned_versions_reads_names_normalised():
    text = "ml_dtypes==0.6.0 \\\n    --hash=sha256:ab\nTensorFlow-Metal==1.2.0\n    # via x==1\n"
    assert pinned_versions(text) == {"ml-dtypes": "0.6.0", "tensorflow-metal": "1.2.0"}


def test_pinned_block_keeps_the_hashes_and_nothing_after():
    text = "six==1.17.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\nuv==0.1\n"
    assert (
        pinned_block(text, "six")
        == "six==1.17.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
    )
    with pytest.raises(ValueError, match="pins no pip"):
        pinned_block(text, "pip")


def test_locked_install_bootstraps_uv_by_hash_then_syncs_the_lock():
    bootstrap, sync, project = install_steps("/venv/bin/python", LINUX_311)
    assert bootstrap.command[1:4] == ["-m", "pip", "install"]
    assert "--require-hashes" in bootstrap.command and "--no-deps" in bootstrap.command
    assert bootstrap.stdin is not None and bootstrap.stdin.startswith("uv==")
    assert "--hash=sha256:" in bootstrap.stdin
    assert sync.command[1:5] == ["-m", "uv", "pip", "sync"]
    assert "--require-hashes" in sync.command
    assert sync.command[-1] == "requirements/linux-x86_64-py3.11.txt"
    assert "--compile-bytecode" in sync.command
    assert project.command[-3:] == ["--no-deps", "--editable", "."]


def test_unlocked_platform_installs_unpinned_from_pyproject_with_uv_not_pip():
    bootstrap, install = install_steps("/venv/bin/python", None)
    assert "--require-hashes" in bootstrap.command
    assert bootstrap.stdin is not None and bootstrap.stdin.startswith("uv==")
    assert install.command[1:5] == ["-m", "uv", "pip", "install"]
    assert install.command[-2:] == ["-e", ".[dev,jax,metal]"]
    assert "--compile-bytecode" in install.command


def test_this_environment_holds_the_bytecode_of_what_every_stage_imports():
    """`make setup` compiled the installed packages, so no process compiles them again."""
    for package in ("keras", "tensorflow"):
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin is not None, package
        compiled = Path(importlib.util.cache_from_source(spec.origin))
        assert compiled.is_file(), f"no bytecode beside {spec.origin}: run make setup again"


def test_setup_says_in_one_line_when_a_mac_gets_no_gpu_plugin():
    notice = machine_notice(Target("darwin", "arm64", "3.14", ""))
    assert notice is not None and "\n" not in notice
    assert "3.14" in notice and "CPU" in notice
    assert machine_notice(MAC_311) is None
    assert machine_notice(LINUX_311) is None
    unlocked = machine_notice(Target("linux", "riscv64", "3.12", ""))
    assert unlocked is not None and "\n" not in unlocked
    assert "no lock for linux-riscv64-py3.12" in unlocked and "uv" in unlocked


def test_linux_on_both_architectures_and_three_pythons_has_a_lock():
    for machine in ("x86_64", "aarch64"):
        for python in ("3.11", "3.12", "3.13"):
            target = find_target(Target("linux", machine, python, ""))
            assert target is not None and target.lock_path.is_file(), f"{machine} {python}"


def test_the_new_locks_keep_the_reference_locks_versions():
    # The committed results were produced with the reference lock; the other Linux locks start
    # from its pins (tools/lock.py), so a Linux user on any locked Python runs the same versions.
    reference = pinned_versions(REFERENCE.lock_path.read_text())
    for target in TARGETS:
        if target.system == "linux":
            assert pinned_versions(target.lock_path.read_text()) == reference, target.name
