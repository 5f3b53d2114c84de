from culturecast.core.categories import Category, label


def test_a_stored_code_has_both_labels() -> None:
    assert all(label(c.value)["zh"] and label(c.value)["en"] for c in Category)


def test_a_category_stored_by_its_chinese_name_or_unknown_does_not_raise() -> None:
    # Items written before categories were codes carry names such as "评书".
    assert set(label("评书")) == {"zh", "en"}
    assert label("no-such-category") == {"zh": "", "en": ""}
