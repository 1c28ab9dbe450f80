"""The folder watcher: every kind of change in skills/ reaches the index (lexical, fast)."""

from __future__ import annotations

import os
import shutil

from search_fixtures import skill_bytes, wait_for, write_atomic


def _ready(o):
    assert o.ws.search.wait_ready(30), o.ws.search.message
    return o.ws.search


def test_atomic_replace_is_searchable(open_ws):
    o = open_ws()
    index = _ready(o)
    folder = o.ws.paths.skills
    write_atomic(folder, "resize-image", skill_bytes("resize-image", "Resize image",
                                                     "Waters tomato seedlings in the greenhouse", ["garden"]))
    wait_for(lambda: o.top("tomato seedlings") == "resize-image", what="new text indexed")
    assert index.known["resize-image"]["tags"] == ["garden"]
    changes = wait_for(lambda: [e.data["change"] for e in o.kinds("skill.changed")
                                if e.subject == "resize-image"][1:], what="change event")
    assert changes == ["changed"]  # after "added" at start-up
    # Nothing lingers from the temp file the replace went through.
    assert all(not ident.startswith(".") for ident in index.known)


def test_in_place_write_and_new_file(open_ws):
    o = open_ws()
    _ready(o)
    path = o.ws.paths.skills / "brew-coffee.json"
    with open(path, "wb") as fh:  # created, then written in place
        fh.write(skill_bytes("brew-coffee", "Brew coffee", "Grinds beans and pours hot water", ["kitchen"]))
    wait_for(lambda: o.top("grinds beans") == "brew-coffee", what="new file indexed")
    with open(path, "r+b") as fh:  # rewritten in place, same inode
        data = skill_bytes("brew-coffee", "Brew espresso", "Pulls a shot of espresso under pressure", ["kitchen"])
        fh.truncate(0)
        fh.write(data)
    wait_for(lambda: o.top("espresso shot") == "brew-coffee", what="in-place rewrite indexed")
    assert o.ws.search.search("grinds beans") == [] or o.top("grinds beans") != "brew-coffee"


def test_delete_removes_from_index(open_ws):
    o = open_ws()
    index = _ready(o)
    assert o.top("slack channel") == "post-slack-message"
    os.unlink(o.ws.paths.skills / "post-slack-message.json")
    wait_for(lambda: "post-slack-message" not in index.known, what="deleted skill dropped")
    assert "post-slack-message" not in o.ids("slack channel webhook")
    removed = wait_for(lambda: o.kinds("skill.removed"), what="removal event")
    assert [e.subject for e in removed] == ["post-slack-message"]


def test_rename_moves_the_skill(open_ws):
    o = open_ws()
    index = _ready(o)
    folder = o.ws.paths.skills
    # A rename to another id: the file's content must carry the new id to be valid.
    os.rename(folder / "resize-image.json", folder / "scale-picture.json")
    write_atomic(folder, "scale-picture", skill_bytes("scale-picture", "Scale picture",
                                                      "Scales a picture keeping its aspect ratio", ["images"]))
    wait_for(lambda: "resize-image" not in index.known and "scale-picture" in index.known, what="rename applied")
    assert o.top("aspect ratio") == "scale-picture"


def test_rename_with_mismatched_id_is_reported_invalid(open_ws):
    o = open_ws()
    index = _ready(o)
    folder = o.ws.paths.skills
    os.rename(folder / "resize-image.json", folder / "picture.json")
    wait_for(lambda: "picture" in index.invalid and "resize-image" not in index.known, what="rename seen")
    assert "does not match the file name" in index.invalid["picture"]


def test_vim_swap_file_dance(open_ws):
    o = open_ws()
    index = _ready(o)
    folder = o.ws.paths.skills
    target = folder / "backup-postgres.json"
    # What vim does on :w with backupcopy=no: swap file, test file 4913, rename to backup~,
    # write the new file, delete the backup.
    (folder / ".backup-postgres.json.swp").write_bytes(b"\x00vim swap")
    (folder / "4913").write_bytes(b"")
    os.unlink(folder / "4913")
    os.rename(target, folder / "backup-postgres.json~")
    target.write_bytes(skill_bytes("backup-postgres", "Back up PostgreSQL",
                                   "Snapshots the warehouse nightly to glacier", ["database", "backup"]))
    os.unlink(folder / "backup-postgres.json~")
    os.unlink(folder / ".backup-postgres.json.swp")
    wait_for(lambda: o.top("warehouse glacier") == "backup-postgres", what="vim save indexed")
    assert "backup-postgres" in index.known
    assert not any(i.endswith(("~", ".swp")) or i == "4913" for i in [*index.known, *index.invalid])


def test_burst_of_1000_files_coalesces(open_ws):
    o = open_ws()
    index = _ready(o)
    folder = o.ws.paths.skills
    for i in range(1000):
        write_atomic(folder, f"burst-{i:04d}", skill_bytes(f"burst-{i:04d}", f"Burst skill {i}",
                                                           f"Handles token{i} requests", ["burst"]))
    wait_for(lambda: sum(1 for k in index.known if k.startswith("burst-")) == 1000, timeout=60,
             what="all 1000 files indexed")
    assert o.top("token777") == "burst-0777"
    assert index.status().points == 1000 + 5
    # Coalesced: far fewer index batches than files.
    assert len(o.kinds("index.updated")) < 200


def test_invalid_then_fixed(open_ws):
    o = open_ws()
    index = _ready(o)
    path = o.ws.paths.skills / "check-tls-expiry.json"
    path.write_bytes(b'{"id": "check-tls-expiry", "name": ')  # truncated JSON
    wait_for(lambda: "check-tls-expiry" in index.invalid, what="invalid file noticed")
    assert "invalid JSON" in index.invalid["check-tls-expiry"]
    assert "check-tls-expiry" not in o.ids("certificate expires")
    assert index.status().invalid == 1
    write_atomic(o.ws.paths.skills, "check-tls-expiry",
                 skill_bytes("check-tls-expiry", "Check TLS certificate expiry", "Reports days before the "
                             "certificate expires", ["web"]))
    wait_for(lambda: o.top("certificate expires") == "check-tls-expiry", what="fixed file indexed")
    assert index.invalid == {}


def test_no_op_change_is_skipped(open_ws):
    o = open_ws()
    index = _ready(o)
    path = o.ws.paths.skills / "resize-image.json"
    data = path.read_bytes()
    changed = len(o.kinds("skill.changed"))
    updates = len(o.kinds("index.updated"))
    write_atomic(o.ws.paths.skills, "resize-image", data)  # same bytes, new inode and mtime
    wait_for(lambda: index.known["resize-image"]["ino"] == path.stat().st_ino, what="fingerprint refreshed")
    assert len(o.kinds("skill.changed")) == changed
    assert len(o.kinds("index.updated")) == updates


def test_index_folder_deleted_while_running_is_rebuilt(open_ws):
    o = open_ws()
    index = _ready(o)
    # Like `rm -rf` racing the engine's own writes: repeat until the folder is gone.
    wait_for(lambda: shutil.rmtree(o.ws.paths.index, ignore_errors=True) or not o.ws.paths.index.exists(),
             what="folder deleted")
    wait_for(lambda: o.kinds("index.rebuilt"), what="rebuild notice")
    assert o.kinds("index.lost"), "the loss itself is announced"
    # (rm -rf may have hit the first rebuild too: wait until the last one settled)
    wait_for(lambda: index.lock.still_held() and not index.needs_rebuild and index.status().points == 5,
             what="index rebuilt with every skill")
    assert (o.ws.paths.index / "owner.lock").exists() and (o.ws.paths.index / "meta.json").exists()
    assert o.top("slack channel") == "post-slack-message"
    # And it keeps watching after the rebuild.
    write_atomic(o.ws.paths.skills, "new-one", skill_bytes("new-one", "New one", "Feeds the zebra", []))
    wait_for(lambda: o.top("zebra") == "new-one", what="watching after rebuild")
