# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `backup` and `backup_client` roles: backups that restore, and that a client cannot destroy.

bk-store keeps the repositories (its own SSH server for borg, append-only);
bk-app backs up its /etc there; bk-outside is on the allowed network with a
key of its own, which the backup host does not know.
"""

from __future__ import annotations

import os
import shlex
import time
import uuid
from pathlib import Path

import pytest

from conftest import copy_repository_without_its_key, secret

STORE, APP, OUTSIDE = "bk-store", "bk-app", "bk-outside"
STORE_IP = "10.20.10.41"
PORT = 2222
REPOSITORY = f"/srv/backup/data/repos/{APP}"
JOB = "/usr/local/sbin/rainbow-edge-backup"
MAINTENANCE = "/usr/local/lib/rainbow-edge-backup/maintenance.py --config /etc/rainbow-edge-backup/maintenance.json"
CLIENT_TEXTFILE = "/var/lib/prometheus/node-exporter/rainbow_edge_backup_files.prom"
STORE_TEXTFILE = "/var/lib/prometheus/node-exporter/rainbow_edge_backup_repositories.prom"
REFUSAL = "Refuse the run with every problem kept by the input checks"
# A file's path, mode, owner, group, size and content hash, for every entry under a directory.
FINGERPRINT = (
    "cd {root} && find . -printf '%p %y %m %u %g %s %l\\n' | LC_ALL=C sort"
    " && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"
)


@pytest.fixture(scope="module")
def store(lab):
    return lab.host(STORE)


@pytest.fixture(scope="module")
def app(lab):
    return lab.host(APP)


def _metric(host, path: str, name: str) -> dict[str, float]:
    """{labels: value} of metric ``name`` in a textfile."""
    found = {}
    for line in host.run(f"cat {path}").stdout.splitlines():
        if line.startswith(name + "{"):
            labels, value = line.rsplit(" ", 1)
            found[labels[len(name):]] = float(value)
    return found


def _backup(app) -> tuple[str, float]:
    """Run the backup job as its timer does; return the newest archive and the seconds it took."""
    start = time.monotonic()
    result = app.run("systemctl start rainbow-edge-backup.service")
    elapsed = time.monotonic() - start
    assert result.rc == 0, app.run("journalctl -u rainbow-edge-backup.service -n 30 --no-pager").stdout
    archives = app.check_output(f"{JOB} borg list --short").split()
    return sorted(archives)[-1], elapsed


def test_the_repository_is_encrypted_on_the_encrypted_volume_and_its_key_escrowed(store, app):
    info = app.check_output(f"{JOB} borg info")
    assert "Encrypted: Yes (repokey BLAKE2b)" in info, info
    repository = store.file(REPOSITORY)
    assert (repository.user, repository.mode) == ("borg", 0o700)
    assert store.check_output(f"findmnt --noheadings --output SOURCE --target {REPOSITORY}") == "/dev/vdb"
    status = store.check_output("fscrypt status /srv/backup/data")
    assert "Unlocked: Yes" in status and "AES_256_XTS" in status, status
    escrowed = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"{APP}.borg-key"
    assert escrowed.read_text().startswith("BORG_KEY "), "the escrowed file is not a borg key"
    assert escrowed.stat().st_mode & 0o777 == 0o600


def test_a_backup_lands_its_time_for_the_metrics_tier_and_no_canary_in_the_raw_repository(store, app):
    canary = f"rainbow-edge-canary-{uuid.uuid4().hex}"
    app.check_output(f"echo {canary} > /etc/rainbow-edge-canary.conf")
    before = time.time()
    archive, elapsed = _backup(app)
    newest = _metric(app, CLIENT_TEXTFILE, "rainbow_edge_backup_newest_timestamp_seconds")
    assert newest['{source="files"}'] >= int(before), newest
    assert archive.startswith("files."), archive
    assert app.run(f"{JOB} borg extract --stdout ::{archive} etc/rainbow-edge-canary.conf").stdout.strip() == canary
    raw = store.run(f"grep -rlF {canary} {REPOSITORY}")
    assert raw.rc == 1, f"the canary is readable in the repository's files: {raw.stdout}"
    size = store.check_output(f"du -sk {REPOSITORY}").split()[0]
    print(f"FIGURE: backup of {APP}'s /etc in {elapsed:.1f} s; repository {size} KiB")


def test_the_maintenance_prunes_compacts_and_checks(store):
    result = store.run("systemctl start rainbow-edge-backup-maintenance.service")
    assert result.rc == 0, store.run("journalctl -u rainbow-edge-backup-maintenance -n 30 --no-pager").stdout
    tampered = _metric(store, STORE_TEXTFILE, "rainbow_edge_backup_repository_tampered")
    assert tampered == {f'{{repository="{APP}"}}': 0.0}, tampered
    done = _metric(store, STORE_TEXTFILE, "rainbow_edge_backup_repository_maintenance_timestamp_seconds")
    assert done[f'{{repository="{APP}"}}'] > time.time() - 300, done


def _fingerprint(host, root: str) -> str:
    return host.check_output(FINGERPRINT.format(root=shlex.quote(root)))


def test_a_host_s_etc_is_restored_identical_and_live_files_only_when_asked(lab, app):
    drill = "/etc/rainbow-edge-restore-drill"
    app.check_output(f"mkdir -p {drill}/sub && echo one > {drill}/a.conf && echo two > {drill}/sub/b.conf"
                     f" && chmod 0640 {drill}/a.conf && ln -sfn a.conf {drill}/link")
    etc_before = _fingerprint(app, "/etc")
    drill_before = _fingerprint(app, drill)
    archive, _elapsed = _backup(app)

    # The default: into a directory of its own, never over live files.
    start = time.monotonic()
    run = lab.playbook("backup_restore_files", "-e", f"backup_restore_host={APP}")
    assert run.returncode == 0, run
    restored = f"/var/lib/rainbow-edge-backup-client/restore/{archive}/etc"
    assert _fingerprint(app, restored) == etc_before
    print(f"FIGURE: /etc of {APP} restored into a staging directory in {time.monotonic() - start:.1f} s")

    # Live files: refused unless asked.
    app.check_output(f"rm {drill}/sub/b.conf && echo changed > {drill}/a.conf")
    args = ("-e", f"backup_restore_host={APP}", "-e", f"backup_restore_archive={archive}",
            "-e", "backup_restore_target=/", "-e", f'{{"backup_restore_paths": ["{drill}"]}}')
    refused = lab.playbook("backup_restore_files", *args)
    texts = refused.refusal("Refuse an unknown archive, or a target holding files without backup_restore_overwrite", [APP])
    assert "would overwrite live data; set backup_restore_overwrite=true" in texts[APP]
    assert app.check_output(f"cat {drill}/a.conf") == "changed"

    run = lab.playbook("backup_restore_files", *args, "-e", "backup_restore_overwrite=true")
    assert run.returncode == 0, run
    assert _fingerprint(app, drill) == drill_before


def test_the_client_key_serves_only_its_own_repository_and_no_shell(lab, app):
    key = "-i /etc/rainbow-edge-backup-client/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=yes" \
          " -o UserKnownHostsFile=/etc/rainbow-edge-backup-client/known_hosts"
    shell = app.run(f"ssh {key} -p {PORT} borg@{STORE_IP} id")
    assert "uid=" not in shell.stdout, shell.stdout
    other = app.run(f"BORG_RSH='ssh {key}' BORG_PASSCOMMAND='cat /etc/rainbow-edge-backup-client/passphrase'"
                    f" borg list ssh://borg@{STORE_IP}:{PORT}/srv/backup/data/repos/{STORE}")
    assert other.rc != 0 and "Repository path not allowed" in other.stderr, other.stderr
    outsider = lab.host(OUTSIDE)
    outsider.check_output("test -f /root/.ssh/id_ed25519 || ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519")
    denied = outsider.run(f"ssh -o BatchMode=yes -o StrictHostKeyChecking=no -p {PORT} borg@{STORE_IP} borg serve")
    assert denied.rc == 255 and "Permission denied" in denied.stderr, denied.stderr


def test_a_failing_backup_fails_its_unit_and_leaves_the_time_old(store, app):
    newest = _metric(app, CLIENT_TEXTFILE, "rainbow_edge_backup_newest_timestamp_seconds")
    store.check_output("systemctl stop rainbow-edge-backup-sshd.service")
    try:
        result = app.run("systemctl start rainbow-edge-backup.service")
        state = app.run("systemctl is-failed rainbow-edge-backup.service").stdout.strip()
    finally:
        store.check_output("systemctl start rainbow-edge-backup-sshd.service")
    assert result.rc != 0 and state == "failed", (result.rc, state)
    assert _metric(app, CLIENT_TEXTFILE, "rainbow_edge_backup_newest_timestamp_seconds") == newest
    app.run("systemctl reset-failed rainbow-edge-backup.service")


def test_a_backup_to_a_full_repository_fails_its_unit_and_leaves_the_time_old(store, app):
    newest = _metric(app, CLIENT_TEXTFILE, "rainbow_edge_backup_newest_timestamp_seconds")
    # New data the repository has no chunk of, and a backup volume with no room left.
    app.check_output("head -c 8M /dev/urandom > /etc/rainbow-edge-fill.bin")
    store.run("dd if=/dev/zero of=/srv/backup/data/fill bs=1M status=none")
    try:
        assert store.check_output("df --output=avail -B1M /srv/backup/data | tail -n 1").strip() in ("0", "1")
        result = app.run("systemctl start rainbow-edge-backup.service")
        state = app.run("systemctl is-failed rainbow-edge-backup.service").stdout.strip()
        journal = app.run("journalctl -u rainbow-edge-backup.service -n 20 --no-pager").stdout
    finally:
        store.check_output("rm -f /srv/backup/data/fill")
        app.check_output("rm -f /etc/rainbow-edge-fill.bin")
        app.run("systemctl reset-failed rainbow-edge-backup.service")
    assert result.rc != 0 and state == "failed", journal
    assert _metric(app, CLIENT_TEXTFILE, "rainbow_edge_backup_newest_timestamp_seconds") == newest
    # The repository survived: the next backup lands.
    _backup(app)


def test_a_client_cannot_delete_its_repository_and_its_archive_deletion_stops_the_compaction_until_rolled_back(store, app):
    archives = sorted(app.check_output(f"{JOB} borg list --short").split())
    repository_delete = app.run(f"{JOB} borg delete --force --force")
    assert repository_delete.rc != 0, repository_delete.stdout
    assert store.file(f"{REPOSITORY}/config").exists
    segments_before = store.check_output(f"find {REPOSITORY}/data -type f | wc -l")

    deleted = app.run(f"{JOB} borg delete ::{archives[0]}")
    assert deleted.rc == 0, deleted.stderr  # append-only: recorded, not applied
    assert archives[0] not in app.check_output(f"{JOB} borg list --short").split()

    result = store.run("systemctl start rainbow-edge-backup-maintenance.service")
    assert result.rc != 0
    journal = store.check_output("journalctl -u rainbow-edge-backup-maintenance -n 20 --no-pager")
    assert "archives removed by no maintenance of this host" in journal and archives[0] in journal, journal
    tampered = _metric(store, STORE_TEXTFILE, "rainbow_edge_backup_repository_tampered")
    assert tampered == {f'{{repository="{APP}"}}': 1.0}, tampered
    # Not compacted: every segment is still there.
    assert int(store.check_output(f"find {REPOSITORY}/data -type f | wc -l")) >= int(segments_before)

    # The documented rollback (roles/backup/README.md): clients kept out, the
    # repository back to its state after the last good maintenance.
    store.check_output("systemctl stop rainbow-edge-backup-sshd.service")
    try:
        rolled = store.run(f"runuser -u borg -- python3 {MAINTENANCE} --rollback {APP}")
    finally:
        store.check_output("systemctl start rainbow-edge-backup-sshd.service")
    assert rolled.rc == 0, rolled.stderr
    app.check_output(f"{JOB} after-rollback")
    assert archives[0] in app.check_output(f"{JOB} borg list --short").split()
    result = store.run("systemctl start rainbow-edge-backup-maintenance.service")
    assert result.rc == 0, store.run("journalctl -u rainbow-edge-backup-maintenance -n 20 --no-pager").stdout
    assert _metric(store, STORE_TEXTFILE, "rainbow_edge_backup_repository_tampered") == {f'{{repository="{APP}"}}': 0.0}
    archive, _elapsed = _backup(app)
    assert archive not in archives


def test_bad_inputs_are_refused_at_once_without_the_passphrase(lab, app):
    run = lab.playbook("backup", "-e", "backup_passphrase=tooShortSecret42", "-e", "backup_keep_daily=0",
                       "-e", "backup_keep_weekly=0", "-e", "backup_keep_monthly=0",
                       "-e", "backup_client_server=nowhere", "-e", "backup_ssh_port=22",
                       "-e", "backup_client_key_escrow_dir=/nonexistent/escrow")
    texts = run.refusal(REFUSAL, [STORE, APP])
    for expected in ("backup_passphrase: expected the repositories' passphrase, at least 20 characters",
                     "all 0 would let prune remove every archive", "backup_ssh_port: expected a TCP port 1024-65535"):
        assert expected in texts[STORE], texts[STORE]
    assert "backup_client_server: expected a host of the inventory; got 'nowhere'" in texts[APP], texts[APP]
    assert "backup_client_passphrase (default: backup_passphrase): expected" in texts[APP], texts[APP]
    assert "backup_client_key_escrow_dir: /nonexistent/escrow is not a directory this controller can write" in texts[APP]
    assert "tooShortSecret42" not in str(run.report) + run.stderr


def test_a_fresh_host_restores_with_only_the_escrowed_key_and_the_passphrase(lab, app):
    """Disaster drill: the repository's own copy of its key is lost; a host that was never part of
    the Edge reads the backup with the key the role escrowed and the vault's passphrase."""
    archive, _elapsed = _backup(app)
    expected = _fingerprint(app, "/etc/ssh")
    drill = copy_repository_without_its_key(lab, STORE, OUTSIDE, APP)
    outsider = lab.host(OUTSIDE)
    borg = f"BORG_PASSPHRASE={shlex.quote(secret('backup_passphrase'))} BORG_RELOCATED_REPO_ACCESS_IS_OK=yes borg"
    keyless = outsider.run(f"{borg} list --short {drill}")
    assert keyless.rc != 0, keyless.stdout
    outsider.check_output(f"{borg} key import {drill} /root/drill/escrowed.key")
    start = time.monotonic()
    outsider.check_output(f"mkdir -p /root/drill/restore && cd /root/drill/restore && {borg} extract {drill}::{archive} etc/ssh")
    elapsed = time.monotonic() - start
    assert _fingerprint(outsider, "/root/drill/restore/etc/ssh") == expected
    print(f"FIGURE: /etc/ssh of {APP} restored on a fresh host from a copy of its repository with the escrowed key"
          f" in {elapsed:.1f} s")
