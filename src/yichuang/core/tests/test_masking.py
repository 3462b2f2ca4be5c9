import logging

from yichuang.core.masking import MaskPersonalDataFilter, mask_id_number, mask_phone, mask_text


def test_masks():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_text("申请人 11010519491231002X 电话 13812345678") == "申请人 110105********002X 电话 138****5678"


def test_log_filter_masks_arguments():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "id=%s phone=%s", ("11010519491231002X", "13812345678"), None
    )
    MaskPersonalDataFilter().filter(record)
    assert "19491231" not in record.getMessage()
    assert "1234" not in record.getMessage().replace("5678", "")


def test_a_name_keeps_its_first_character_only():
    from yichuang.core.masking import mask_name

    assert mask_name("张三") == "张*"
    assert mask_name("欧阳明月") == "欧***"
    assert mask_name("李") == "李*"  # one character still looks masked
    assert mask_name("") == mask_name(None) == ""
