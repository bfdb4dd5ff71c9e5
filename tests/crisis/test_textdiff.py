from crisis.voice.textdiff import diff_against, diff_text


def kinds(lines):
    return [line.kind for line in lines]


def test_an_edited_line_shows_what_changed_inside_it():
    lines = diff_text("两名工人受伤。\n现场已封闭。", "三名工人受伤。\n现场已封闭。")
    assert kinds(lines) == ["changed", "same"]
    assert [(s.kind, s.text) for s in lines[0].segments] == [
        ("removed", "两"), ("added", "三"), ("same", "名工人受伤。"),
    ]  # fmt: skip


def test_unrelated_lines_are_removed_and_added_whole():
    lines = diff_text("Two workers hurt.", "Next update at noon, on our website.")
    assert kinds(lines) == ["removed", "added"]
    assert lines[0].segments[0].text == "Two workers hurt."


def test_added_and_removed_lines_and_the_current_text_property():
    lines = diff_text("a\nb\nc", "a\nc\nd")
    assert kinds(lines) == ["same", "removed", "same", "added"]
    assert [line.text for line in lines] == ["a", "", "c", "d"]


def test_against_nothing_everything_is_new_and_the_same_words_are_unchanged():
    new = diff_against("Title", "Body", None)
    assert new.against is None and kinds(new.body) == ["added"] and not new.unchanged

    class Current:
        title, body = "Title", "Body"

    assert diff_against("Title", "Body", Current()).unchanged
