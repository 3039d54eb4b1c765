"""FastAPI's 422 bodies, written by tests/capture_fastapi.py (FastAPI 0.165.0 on pydantic 2.13.4).

Each entry is the ``detail`` list of the 422 body FastAPI sent for the request
of the same name in ``oracle_422.REQUESTS`` (``test_compile_errors`` sends the
same requests to the same endpoints; ``test_422_live`` compares with FastAPI
itself, live). pydantic's messages differ slightly between versions (e.g. the
UUID error's position): these hold for the pinned pydantic only.
"""

from __future__ import annotations

from typing import Any

# fmt: off
EXPECTED_422: dict[str, list[dict[str, Any]]] = {
    "query_missing": [
        {"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": None},
    ],
    "query_int_parsing": [
        {"type": "int_parsing", "loc": ["query", "q"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"},
    ],
    "query_empty_string": [
        {"type": "int_parsing", "loc": ["query", "q"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": ""},
    ],
    "query_gt_le": [
        {"type": "greater_than", "loc": ["query", "n"], "msg": "Input should be greater than 0", "input": "0", "ctx": {"gt": 0}},
        {"type": "string_too_short", "loc": ["query", "s"], "msg": "String should have at least 2 characters", "input": "a", "ctx": {"min_length": 2}},
    ],
    "query_le_pattern": [
        {"type": "less_than_equal", "loc": ["query", "n"], "msg": "Input should be less than or equal to 100", "input": "101", "ctx": {"le": 100}},
        {"type": "string_too_long", "loc": ["query", "s"], "msg": "String should have at most 4 characters", "input": "ABCDE", "ctx": {"max_length": 4}},
    ],
    "query_pattern": [
        {"type": "string_pattern_mismatch", "loc": ["query", "s"], "msg": "String should match pattern '^[a-z]+$'", "input": "AB", "ctx": {"pattern": "^[a-z]+$"}},
    ],
    "query_list_items": [
        {"type": "int_parsing", "loc": ["query", "ids", 1], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
        {"type": "int_parsing", "loc": ["query", "ids", 3], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "y"},
    ],
    "query_enum": [
        {"type": "enum", "loc": ["query", "color"], "msg": "Input should be 'red' or 'green'", "input": "blue", "ctx": {"expected": "'red' or 'green'"}},
        {"type": "literal_error", "loc": ["query", "mode"], "msg": "Input should be 'a' or 'b'", "input": "c", "ctx": {"expected": "'a' or 'b'"}},
    ],
    "query_enum_missing": [
        {"type": "missing", "loc": ["query", "color"], "msg": "Field required", "input": None},
    ],
    "query_types": [
        {"type": "uuid_parsing", "loc": ["query", "u"], "msg": "Input should be a valid UUID, invalid character: found `n` at 1", "input": "nope", "ctx": {"error": "invalid character: found `n` at 1"}},
        {"type": "date_from_datetime_parsing", "loc": ["query", "d"], "msg": "Input should be a valid date or datetime, month value is outside expected range of 1-12", "input": "2020-13-01", "ctx": {"error": "month value is outside expected range of 1-12"}},
        {"type": "datetime_from_date_parsing", "loc": ["query", "dt"], "msg": "Input should be a valid datetime or date, input is too short", "input": "yesterday", "ctx": {"error": "input is too short"}},
        {"type": "decimal_max_digits", "loc": ["query", "dec"], "msg": "Decimal input should have no more than 4 digits in total", "input": "123.456", "ctx": {"max_digits": 4}},
        {"type": "bool_parsing", "loc": ["query", "flag"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"},
    ],
    "query_decimal_digits": [
        {"type": "decimal_max_digits", "loc": ["query", "dec"], "msg": "Decimal input should have no more than 4 digits in total", "input": "12.345", "ctx": {"max_digits": 4}},
    ],
    "query_union": [
        {"type": "int_parsing", "loc": ["query", "v", "int"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"},
        {"type": "date_from_datetime_parsing", "loc": ["query", "v", "date"], "msg": "Input should be a valid date or datetime, input is too short", "input": "abc", "ctx": {"error": "input is too short"}},
    ],
    "query_alias_missing": [
        {"type": "missing", "loc": ["query", "item-query"], "msg": "Field required", "input": None},
    ],
    "query_model_extra": [
        {"type": "greater_than", "loc": ["query", "limit"], "msg": "Input should be greater than 0", "input": "0", "ctx": {"gt": 0}},
        {"type": "literal_error", "loc": ["query", "order_by"], "msg": "Input should be 'created_at' or 'updated_at'", "input": "x", "ctx": {"expected": "'created_at' or 'updated_at'"}},
        {"type": "extra_forbidden", "loc": ["query", "tool"], "msg": "Extra inputs are not permitted", "input": "plumbus"},
    ],
    "header_missing": [
        {"type": "missing", "loc": ["header", "x-token"], "msg": "Field required", "input": None},
    ],
    "header_wrong_type": [
        {"type": "int_parsing", "loc": ["header", "count"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "many"},
    ],
    "header_list": [
        {"type": "int_parsing", "loc": ["header", "x-num", 1], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "b"},
    ],
    "header_model_extra": [
        {"type": "extra_forbidden", "loc": ["header", "host"], "msg": "Extra inputs are not permitted", "input": "testserver"},
        {"type": "extra_forbidden", "loc": ["header", "accept"], "msg": "Extra inputs are not permitted", "input": "*/*"},
        {"type": "extra_forbidden", "loc": ["header", "accept-encoding"], "msg": "Extra inputs are not permitted", "input": "gzip, deflate"},
        {"type": "extra_forbidden", "loc": ["header", "connection"], "msg": "Extra inputs are not permitted", "input": "keep-alive"},
    ],
    "header_model_missing": [
        {"type": "missing", "loc": ["header", "x-token"], "msg": "Field required", "input": {"user_agent": "testclient", "host": "testserver", "accept": "*/*", "accept-encoding": "gzip, deflate", "connection": "keep-alive"}},
        {"type": "extra_forbidden", "loc": ["header", "host"], "msg": "Extra inputs are not permitted", "input": "testserver"},
        {"type": "extra_forbidden", "loc": ["header", "accept"], "msg": "Extra inputs are not permitted", "input": "*/*"},
        {"type": "extra_forbidden", "loc": ["header", "accept-encoding"], "msg": "Extra inputs are not permitted", "input": "gzip, deflate"},
        {"type": "extra_forbidden", "loc": ["header", "connection"], "msg": "Extra inputs are not permitted", "input": "keep-alive"},
    ],
    "cookie_missing": [
        {"type": "missing", "loc": ["cookie", "session"], "msg": "Field required", "input": None},
    ],
    "cookie_wrong_type": [
        {"type": "int_parsing", "loc": ["cookie", "n"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
    ],
    "cookie_model_missing": [
        {"type": "missing", "loc": ["cookie", "session_id"], "msg": "Field required", "input": {"other": "1"}},
    ],
    "path_int": [
        {"type": "int_parsing", "loc": ["path", "item_id"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"},
    ],
    "path_ge": [
        {"type": "greater_than_equal", "loc": ["path", "item_id"], "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}},
    ],
    "body_missing": [
        {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None},
    ],
    "body_missing_with_ct": [
        {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None},
    ],
    "body_fields_missing": [
        {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {}},
        {"type": "missing", "loc": ["body", "price"], "msg": "Field required", "input": {}},
    ],
    "body_wrong_types": [
        {"type": "string_type", "loc": ["body", "name"], "msg": "Input should be a valid string", "input": 1},
        {"type": "float_parsing", "loc": ["body", "price"], "msg": "Input should be a valid number, unable to parse string as a number", "input": "cheap"},
        {"type": "list_type", "loc": ["body", "tags"], "msg": "Input should be a valid list", "input": "x"},
    ],
    "body_array_for_model": [
        {"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": [1, 2]},
    ],
    "body_string_for_model": [
        {"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": "hello"},
    ],
    "body_nested": [
        {"type": "float_parsing", "loc": ["body", "items", 1, "price"], "msg": "Input should be a valid number, unable to parse string as a number", "input": "x"},
        {"type": "missing", "loc": ["body", "items", 2, "name"], "msg": "Field required", "input": {"price": 2}},
    ],
    "body_invalid_json": [
        {"type": "json_invalid", "loc": ["body", 9], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting value"}},
    ],
    "body_invalid_json2": [
        {"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting value"}},
    ],
    "body_invalid_json_extra": [
        {"type": "json_invalid", "loc": ["body", 26], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Extra data"}},
    ],
    "body_invalid_json_quote": [
        {"type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting property name enclosed in double quotes"}},
    ],
    "body_invalid_json_trailing_comma": [
        {"type": "json_invalid", "loc": ["body", 13], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting property name enclosed in double quotes"}},
    ],
    "body_invalid_json_ctrl": [
        {"type": "json_invalid", "loc": ["body", 11], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Invalid control character at"}},
    ],
    "body_no_content_type": [
        {"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": "{\"name\": \"a\", \"price\": 1}"},
    ],
    "body_text_plain": [
        {"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": "{\"name\": \"a\", \"price\": 1}"},
    ],
    "body_multi_missing": [
        {"type": "missing", "loc": ["body", "item", "price"], "msg": "Field required", "input": {"name": "a"}},
        {"type": "missing", "loc": ["body", "count"], "msg": "Field required", "input": None},
    ],
    "body_multi_list": [
        {"type": "missing", "loc": ["body", "item"], "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["body", "count"], "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["body", "note"], "msg": "Field required", "input": None},
    ],
    "body_multi_none": [
        {"type": "missing", "loc": ["body", "item"], "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["body", "count"], "msg": "Field required", "input": None},
    ],
    "body_multi_no_ct": [
        {"type": "missing", "loc": ["body", "item"], "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["body", "count"], "msg": "Field required", "input": None},
    ],
    "body_embed_unwrapped": [
        {"type": "missing", "loc": ["body", "item"], "msg": "Field required", "input": None},
    ],
    "body_validator": [
        {"type": "value_error", "loc": ["body", "v"], "msg": "Value error, unlucky", "input": 13, "ctx": {"error": {}}},
    ],
    "body_list": [
        {"type": "missing", "loc": ["body", 1, "price"], "msg": "Field required", "input": {"name": "b"}},
    ],
    "body_list_object": [
        {"type": "list_type", "loc": ["body"], "msg": "Input should be a valid list", "input": {"name": "a"}},
    ],
    "body_dict": [
        {"type": "int_parsing", "loc": ["body", "b"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
    ],
    "all_locations": [
        {"type": "int_parsing", "loc": ["path", "pid"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
        {"type": "int_parsing", "loc": ["query", "q"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "y"},
        {"type": "int_parsing", "loc": ["header", "x-h"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "z"},
        {"type": "int_parsing", "loc": ["cookie", "ck"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "w"},
        {"type": "string_type", "loc": ["body", "name"], "msg": "Input should be a valid string", "input": 5},
        {"type": "missing", "loc": ["body", "price"], "msg": "Field required", "input": {"name": 5}},
    ],
    "form_missing": [
        {"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": None},
        {"type": "int_parsing", "loc": ["body", "age"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
    ],
    "form_empty_string": [
        {"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": None},
    ],
    "form_json_sent": [
        {"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": None},
    ],
    "file_missing": [
        {"type": "missing", "loc": ["body", "f"], "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["body", "up"], "msg": "Field required", "input": None},
    ],
    "file_wrong": [
        {"type": "value_error", "loc": ["body", "up"], "msg": "Value error, Expected UploadFile, received: <class 'str'>", "input": "not-a-file", "ctx": {"error": {}}},
    ],
    "form_list_missing": [
        {"type": "missing", "loc": ["body", "tags"], "msg": "Field required", "input": None},
    ],
}
# fmt: on
