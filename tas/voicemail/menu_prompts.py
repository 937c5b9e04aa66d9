"""The mailbox menu's prompt pieces: one name and one spoken text each (the only list of them).

The shipped recordings (``assets/menu/<name>.wav``, 8 kHz mono G.711 µ-law) are made from
:data:`TEXTS` by ``assets/menu/make_menu_prompts.sh``, which reads the table this module prints
(``python -m tas.voicemail.menu_prompts``: one ``name<TAB>text`` line per piece). Sentences are
composed from pieces by :mod:`tas.voicemail.menu_compose`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["NUMBERS", "Prompt", "TEXTS"]


class Prompt(StrEnum):
    """A prompt piece; its value is the file name (without ``.wav``)."""

    # numbers: 0-20, the tens, "hundred" (counts, hours, minutes, days, digits of a number)
    N0 = "n0"
    N1 = "n1"
    N2 = "n2"
    N3 = "n3"
    N4 = "n4"
    N5 = "n5"
    N6 = "n6"
    N7 = "n7"
    N8 = "n8"
    N9 = "n9"
    N10 = "n10"
    N11 = "n11"
    N12 = "n12"
    N13 = "n13"
    N14 = "n14"
    N15 = "n15"
    N16 = "n16"
    N17 = "n17"
    N18 = "n18"
    N19 = "n19"
    N20 = "n20"
    N30 = "n30"
    N40 = "n40"
    N50 = "n50"
    N60 = "n60"
    N70 = "n70"
    N80 = "n80"
    N90 = "n90"
    HUNDRED = "hundred"
    # the count and the envelope
    YOU_HAVE = "you_have"
    NO = "no"
    NEW = "new"
    AND = "and"
    SAVED = "saved"
    MESSAGE = "message"
    MESSAGES = "messages"
    MESSAGE_FROM = "message_from"
    HIDDEN_NUMBER = "hidden_number"
    RECEIVED = "received"
    TODAY = "today"
    YESTERDAY = "yesterday"
    AT = "at"
    OH = "oh"
    OCLOCK = "oclock"
    AM = "am"
    PM = "pm"
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"
    JANUARY = "january"
    FEBRUARY = "february"
    MARCH = "march"
    APRIL = "april"
    MAY = "may"
    JUNE = "june"
    JULY = "july"
    AUGUST = "august"
    SEPTEMBER = "september"
    OCTOBER = "october"
    NOVEMBER = "november"
    DECEMBER = "december"
    # menus and answers
    ENTER_PIN = "enter_pin"
    WRONG_PIN = "wrong_pin"
    LOCKED = "locked"
    NO_PIN = "no_pin"
    MESSAGE_MENU = "message_menu"
    MAIN_MENU = "main_menu"
    NO_MORE_MESSAGES = "no_more_messages"
    SAVED_OK = "saved_ok"
    DELETED_OK = "deleted_ok"
    CANNOT_CALL_BACK = "cannot_call_back"
    CALLING_BACK = "calling_back"
    NUMBER_NOT_AVAILABLE = "number_not_available"
    CALL_BACK_FAILED = "call_back_failed"
    OPTIONS_MENU = "options_menu"
    RECORD_GREETING = "record_greeting"
    RECORD_NAME = "record_name"
    TOO_SHORT = "too_short"
    REVIEW_MENU = "review_menu"
    GREETING_SAVED = "greeting_saved"
    NEW_PIN = "new_pin"
    PIN_AGAIN = "pin_again"
    PIN_INVALID = "pin_invalid"
    PIN_MISMATCH = "pin_mismatch"
    PIN_CHANGED = "pin_changed"
    INVALID_OPTION = "invalid_option"
    GOODBYE = "goodbye"


#: ``NUMBERS[n]`` says ``n`` (0-20, then the tens up to 90).
NUMBERS: dict[int, Prompt] = {
    **{n: Prompt(f"n{n}") for n in range(21)},
    **{n: Prompt(f"n{n}") for n in range(30, 100, 10)},
}

_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_TENS = {30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty",
         90: "ninety"}  # fmt: skip

#: What each piece says (espeak-ng input).
TEXTS: dict[Prompt, str] = {
    **{NUMBERS[n]: word for n, word in enumerate(_WORDS)},
    **{NUMBERS[n]: word for n, word in _TENS.items()},
    Prompt.HUNDRED: "hundred",
    Prompt.YOU_HAVE: "You have",
    Prompt.NO: "no",
    Prompt.NEW: "new",
    Prompt.AND: "and",
    Prompt.SAVED: "saved",
    Prompt.MESSAGE: "message.",
    Prompt.MESSAGES: "messages.",
    Prompt.MESSAGE_FROM: "Message from",
    Prompt.HIDDEN_NUMBER: "a hidden number,",
    Prompt.RECEIVED: "received",
    Prompt.TODAY: "today",
    Prompt.YESTERDAY: "yesterday",
    Prompt.AT: "at",
    Prompt.OH: "oh",
    Prompt.OCLOCK: "o'clock",
    Prompt.AM: "A M.",
    Prompt.PM: "P M.",
    **{
        Prompt(day): day.capitalize()
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    },
    **{
        Prompt(month): month.capitalize()
        for month in (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    },
    Prompt.ENTER_PIN: "Please enter your PIN, then press hash.",
    Prompt.WRONG_PIN: "That PIN is not correct.",
    Prompt.LOCKED: "This mailbox is locked. Please try again later. Goodbye.",
    Prompt.NO_PIN: "This mailbox has no PIN yet. Goodbye.",
    Prompt.MESSAGE_MENU: "Press 1 to repeat, 2 to save, 3 to call back, 7 to delete, "
    "9 for the next message, hash to skip, 0 for options.",
    Prompt.MAIN_MENU: "Press 1 to hear your messages, 0 for options, or star to hang up.",
    Prompt.NO_MORE_MESSAGES: "No more messages.",
    Prompt.SAVED_OK: "Saved.",
    Prompt.DELETED_OK: "Deleted.",
    Prompt.CANNOT_CALL_BACK: "This caller cannot be called back.",
    Prompt.CALLING_BACK: "Calling back.",
    Prompt.NUMBER_NOT_AVAILABLE: "The number is not available.",
    Prompt.CALL_BACK_FAILED: "The call could not be connected.",
    Prompt.OPTIONS_MENU: "Press 1 to record your busy greeting, 2 your unavailable greeting, "
    "3 your default greeting, 4 your name, 5 to change your PIN, star to go back.",
    Prompt.RECORD_GREETING: "Record your greeting after the tone, then press hash.",
    Prompt.RECORD_NAME: "Say your name after the tone, then press hash.",
    Prompt.TOO_SHORT: "That was too short.",
    Prompt.REVIEW_MENU: "Press 1 to listen, 2 to record again, 3 to save.",
    Prompt.GREETING_SAVED: "Your greeting is saved.",
    Prompt.NEW_PIN: "Enter a new PIN of 4 to 8 digits, then press hash.",
    Prompt.PIN_AGAIN: "Enter it again.",
    Prompt.PIN_INVALID: "A PIN has 4 to 8 digits.",
    Prompt.PIN_MISMATCH: "The PINs do not match.",
    Prompt.PIN_CHANGED: "Your PIN is changed.",
    Prompt.INVALID_OPTION: "That is not an option.",
    Prompt.GOODBYE: "Goodbye.",
}

if __name__ == "__main__":  # the table make_menu_prompts.sh reads
    for _prompt in Prompt:
        print(f"{_prompt.value}\t{TEXTS[_prompt]}")
