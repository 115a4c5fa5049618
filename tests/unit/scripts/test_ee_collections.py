"""scripts/ee_collections.py: the execution environment's collection tarballs, from installed copies."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("ee_collections", ROOT / "scripts" / "ee_collections.py")
ee_collections = importlib.util.module_from_spec(_spec)
sys.modules["ee_collections"] = ee_collections
_spec.loader.exec_module(ee_collections)


def install_copy(base: Path, fqcn: str, version: str, dependencies: dict | None = None,
                 files: dict | None = None, not_installed: tuple = ()) -> Path:
    """A collection as ansible-galaxy installs it (MANIFEST.json, FILES.json), minus ``not_installed``."""
    namespace, name = fqcn.split(".")
    root = base / "ansible_collections" / namespace / name
    files = files if files is not None else {"plugins/modules/thing.py": "# a module\n", "README.md": "# readme\n"}
    listed = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
    for directory in sorted({str(parent) for path in files for parent in Path(path).parents} - {"."}):
        listed.append({"name": directory, "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1})
    for path, text in sorted(files.items()):
        listed.append({"name": path, "ftype": "file", "chksum_type": "sha256",
                       "chksum_sha256": hashlib.sha256(text.encode()).hexdigest(), "format": 1})
        if path not in not_installed:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
    files_json = json.dumps({"files": listed, "format": 1}).encode()
    (root / "FILES.json").write_bytes(files_json)
    manifest = {
        "collection_info": {"namespace": namespace, "name": name, "version": version,
                            "dependencies": dependencies or {}, "readme": "README.md"},
        "file_manifest_file": {"name": "FILES.json", "ftype": "file", "chksum_type": "sha256",
                               "chksum_sha256": hashlib.sha256(files_json).hexdigest(), "format": 1},
        "format": 1,
    }
    (root / "MANIFEST.json").write_text(json.dumps(manifest))
    return root


def test_an_installed_copy_is_packed_as_its_files_json_lists_it_less_what_was_not_installed(tmp_path):
    root = install_copy(tmp_path / "site", "acme.tools", "1.2.0",
                        files={"plugins/modules/thing.py": "# a module\n", "tests/unit/test_thing.py": "# a test\n",
                               "README.md": "# readme\n"},
                        not_installed=("tests/unit/test_thing.py",))
    (root / "plugins" / "modules" / "__pycache__").mkdir()
    (root / "plugins" / "modules" / "__pycache__" / "thing.cpython-312.pyc").write_bytes(b"\0")
    tarball, packed, left_out = ee_collections.pack_installed(root, tmp_path / "out")
    assert tarball.name == "acme-tools-1.2.0.tar.gz" and (packed, left_out) == (2, 3)
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        files = json.load(archive.extractfile("FILES.json"))
        manifest = json.load(archive.extractfile("MANIFEST.json"))
        assert {member.mtime for member in archive.getmembers()} == {0}
        checksum = hashlib.sha256(archive.extractfile("FILES.json").read()).hexdigest()
    assert sorted(names) == ["FILES.json", "MANIFEST.json", "README.md", "plugins", "plugins/modules",
                             "plugins/modules/thing.py"]
    assert [item["name"] for item in files["files"]] == [".", "plugins", "plugins/modules", "README.md",
                                                         "plugins/modules/thing.py"]
    assert "tests/unit" not in [item["name"] for item in files["files"]]
    assert manifest["file_manifest_file"]["chksum_sha256"] == checksum
    # The same copy gives the same bytes: podman's layer cache holds.
    first = tarball.read_bytes()
    os.utime(root / "README.md", (1, 1))
    assert ee_collections.pack_installed(root, tmp_path / "out")[0].read_bytes() == first


def test_a_file_changed_since_the_collection_was_built_is_refused(tmp_path):
    root = install_copy(tmp_path / "site", "acme.tools", "1.2.0")
    (root / "README.md").write_text("# edited\n")
    with pytest.raises(ee_collections.CollectionError, match="files changed since it was built .README.md"):
        ee_collections.pack_installed(root, tmp_path / "out")


def test_dependencies_are_followed_and_each_constraint_is_checked(tmp_path):
    site = tmp_path / "site"
    install_copy(site, "acme.tools", "2.0.0", dependencies={"acme.base": ">=1.0.0"})
    install_copy(site, "acme.base", "1.1.0")
    found = ee_collections.resolve({"acme.tools": ">=2.0.0"}, [tmp_path / "empty", site])
    assert sorted(found) == ["acme.base", "acme.tools"]
    with pytest.raises(ee_collections.CollectionError, match="acme.tools 2.0.0 .* does not meet galaxy.yml's >=3.0.0"):
        ee_collections.resolve({"acme.tools": ">=3.0.0"}, [site])
    with pytest.raises(ee_collections.CollectionError, match="acme.base 1.1.0 .* does not meet acme.tools's >=1.5"):
        install_copy(site, "acme.tools", "2.0.0", dependencies={"acme.base": ">=1.5"})
        ee_collections.resolve({"acme.tools": "*"}, [site])
    with pytest.raises(ee_collections.CollectionError, match="acme.missing .* is installed in none of"):
        ee_collections.resolve({"acme.missing": "*"}, [site])


def test_the_tarballs_install_offline_with_ansible_galaxy(tmp_path):
    """The collection built from its source, its dependency packed from an installed copy, then
    `ansible-galaxy collection install --offline -r requirements.yml`, as the image build runs it."""
    site = tmp_path / "site"
    install_copy(site, "acme.base", "1.1.0", not_installed=("README.md",))
    source = tmp_path / "src"
    (source / "plugins" / "modules").mkdir(parents=True)
    (source / "plugins" / "modules" / "edge.py").write_text("# a module\n")
    (source / "README.md").write_text("# demo\n")
    galaxy = {"namespace": "demo", "name": "edge", "version": "0.3.0", "readme": "README.md", "authors": ["x"],
              "license": ["GPL-3.0-or-later"], "dependencies": {"acme.base": ">=1.0.0"}}
    (source / "galaxy.yml").write_text(yaml.safe_dump(galaxy))
    env = dict(os.environ, ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1")
    env.pop("ANSIBLE_CONFIG", None)
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path)], cwd=source, env=env,
                   check=True, capture_output=True)
    definition = tmp_path / "definition"
    assert ee_collections.main(["--galaxy", str(source / "galaxy.yml"), "--artifact",
                                str(tmp_path / "demo-edge-0.3.0.tar.gz"), "--search", str(site),
                                "--output", str(definition / "collections"),
                                "--requirements", str(definition / "requirements.yml")]) == 0
    requirements = yaml.safe_load((definition / "requirements.yml").read_text())
    assert requirements == {"collections": [{"name": "collections/acme-base-1.1.0.tar.gz", "type": "file"},
                                            {"name": "collections/demo-edge-0.3.0.tar.gz", "type": "file"}]}
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "-r", "requirements.yml",
                    "-p", str(tmp_path / "installed")], cwd=definition, env=env, check=True, capture_output=True)
    installed = tmp_path / "installed" / "ansible_collections"
    assert (installed / "demo" / "edge" / "plugins" / "modules" / "edge.py").is_file()
    assert (installed / "acme" / "base" / "plugins" / "modules" / "thing.py").is_file()
    assert not (installed / "acme" / "base" / "README.md").exists()
    # A stale tarball from an earlier build is removed.
    (definition / "collections" / "acme-base-0.9.0.tar.gz").write_bytes(b"old")
    ee_collections.main(["--galaxy", str(source / "galaxy.yml"), "--artifact", str(tmp_path / "demo-edge-0.3.0.tar.gz"),
                         "--search", str(site), "--output", str(definition / "collections"),
                         "--requirements", str(definition / "requirements.yml")])
    assert sorted(path.name for path in (definition / "collections").iterdir()) == [
        "acme-base-1.1.0.tar.gz", "demo-edge-0.3.0.tar.gz"]
