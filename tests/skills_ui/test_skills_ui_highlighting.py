"""Each highlighted editor language opens in its own process.

A tree-sitter grammar that does not match the installed tree-sitter can segfault
(JSON did with tree-sitter 0.26); in a subprocess that fails this one test with the
exit status instead of killing the whole test run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import asyncio, sys
    from textual.app import App
    from textual.widgets import TextArea

    LANGUAGE, SAMPLE = sys.argv[1], sys.argv[2]

    class Editor(App):
        def compose(self):
            yield TextArea.code_editor(SAMPLE, language=LANGUAGE)

    async def main():
        app = Editor()
        async with app.run_test(size=(80, 20)) as pilot:
            area = app.query_one(TextArea)
            assert area.language == LANGUAGE, area.language
            assert area.is_syntax_aware, "no tree-sitter highlighting for " + LANGUAGE
            await pilot.press("end", "x")
            await pilot.pause()
            assert "x" in area.text
        print("ok", LANGUAGE)

    asyncio.run(main())
''')

SAMPLES = {
    "json": '{\n  "id": "web-fetch",\n  "tags": ["http"],\n  "version": 3\n}\n',
    "yaml": "id: ingest\nsteps:\n  - name: fetch\n    uses: web-fetch\n",
}


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_code_editor_language_opens_without_crashing(language: str) -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, language, SAMPLES[language]],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (
        f"{language} editor exited with {proc.returncode} (negative = killed by a signal)\n"
        f"{proc.stderr[-2000:]}")
    assert proc.stdout.strip() == f"ok {language}"
