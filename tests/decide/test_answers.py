"""Which open offer a reply answers (decide/choices.first_answered), newest offer first."""

from notifier.decide.choices import first_answered

NOTICE = ["wait", "cancel", "person"]
FOLLOWUP = ["solved_yes", "solved_no"]


def test_a_number_answers_the_newest_offer() -> None:
    assert first_answered("2", [NOTICE, FOLLOWUP]) == (0, "cancel")
    assert first_answered("2.", [FOLLOWUP, NOTICE]) == (0, "solved_no")


def test_a_number_the_newest_offer_lacks_answers_nothing() -> None:
    assert first_answered("3", [FOLLOWUP, NOTICE]) is None


def test_a_word_answers_the_newest_offer_that_names_it() -> None:
    assert first_answered("No", [NOTICE, FOLLOWUP]) == (1, "solved_no")
    assert first_answered("cancelar", [FOLLOWUP, NOTICE]) == (1, "cancel")


def test_a_reply_no_offer_names_answers_nothing() -> None:
    assert first_answered("¿y mi pedido?", [NOTICE, FOLLOWUP]) is None
    assert first_answered("1", []) is None
