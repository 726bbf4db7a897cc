"""A customer's own words (CONTRACT §6): the opt-out and come-back words, and CANCELAR."""

from __future__ import annotations

import pytest

from notifier.decide.consent import Keyword, keyword_of


@pytest.mark.parametrize(
    "text", ["STOP", "stopall", "Unsubscribe", "END", "quit", "Baja.", "PARAR", "sair"]
)
def test_the_contracts_opt_out_words_stop(text: str) -> None:
    assert keyword_of(text) is Keyword.STOP


@pytest.mark.parametrize("text", ["START", "alta", "Voltar!"])
def test_the_contracts_come_back_words_start(text: str) -> None:
    assert keyword_of(text) is Keyword.START


@pytest.mark.parametrize("text", ["Cancelar", "CANCEL", "cancelar.", "Sí", "yes"])
def test_cancel_and_other_answers_are_words_for_a_person_not_an_opt_out(text: str) -> None:
    assert keyword_of(text) is None
