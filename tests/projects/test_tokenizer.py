"""The tokenizer the whole lab shares: the sentence and token offsets user spans map onto."""

from __future__ import annotations

from projects.tokenizer import Span, Token, split_sentences, tokenize


def words(text: str) -> list[str]:
    return [token.text for sentence in tokenize(text) for token in sentence.tokens]


def test_token_offsets_slice_the_original_text() -> None:
    text = "Aspirin 100 mg, twice daily."
    tokens = [token for sentence in tokenize(text) for token in sentence.tokens]
    assert [t.text for t in tokens] == ["Aspirin", "100", "mg", ",", "twice", "daily", "."]
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert tokens[0] == Token(0, 7, "Aspirin")


def test_each_punctuation_character_is_its_own_token() -> None:
    assert words("well-known (X-12) 3.5mg 2024-01-05 50%!?") == [
        "well", "-", "known", "(", "X", "-", "12", ")", "3", ".", "5mg",
        "2024", "-", "01", "-", "05", "50", "%", "!", "?",
    ]  # fmt: skip


def test_unicode_letters_marks_and_digits_stay_in_one_word() -> None:
    # "é" typed as e + combining accent, Devanagari vowel signs, Arabic-Indic digits.
    assert words("Zoë café naïve cafe\u0301 नमस्ते ١٢٣") == [
        "Zoë", "café", "naïve", "cafe\u0301", "नमस्ते", "١٢٣",
    ]  # fmt: skip


def test_emoji_and_symbols_are_single_tokens_with_python_offsets() -> None:
    text = "hi 😀x €5"
    tokens = tokenize(text)[0].tokens
    assert tokens == (
        Token(0, 2, "hi"),
        Token(3, 4, "😀"),
        Token(4, 5, "x"),
        Token(6, 7, "€"),
        Token(7, 8, "5"),
    )


def test_sentences_end_after_terminal_punctuation_followed_by_whitespace() -> None:
    text = "Dr. Smith gave 3.5mg. Was it enough? Yes!Really."
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "Dr.",
        "Smith gave 3.5mg.",
        "Was it enough?",
        "Yes!Really.",
    ]


def test_every_line_break_ends_a_sentence_and_blank_lines_vanish() -> None:
    text = "First line\nsecond line\r\n\r\n   \n\tthird"
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "First line",
        "second line",
        "third",
    ]


def test_whitespace_around_sentences_belongs_to_none_of_them() -> None:
    text = "  \u3000Hello\u00a0world.\t\tNext one.  \n"
    spans = split_sentences(text)
    assert spans == [Span(3, 15), Span(17, 26)]
    assert [text[s.start : s.end] for s in spans] == ["Hello\u00a0world.", "Next one."]


def test_tabs_multiple_spaces_and_invisible_characters_only_separate() -> None:
    assert words("a\tb   c\u200bd\ufeffe\x00f") == ["a", "b", "c", "d", "e", "f"]


def test_sentence_carries_its_text_and_absolute_token_offsets() -> None:
    text = "One. Two words."
    second = tokenize(text)[1]
    assert (second.start, second.end, second.text) == (5, 15, "Two words.")
    assert second.tokens[0] == Token(5, 8, "Two")


def test_empty_and_blank_texts_have_no_sentence() -> None:
    assert tokenize("") == []
    assert tokenize(" \n\t\u3000 ") == []
    assert split_sentences("...") == [Span(0, 3)]
