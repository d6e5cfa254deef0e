"""EHR schema: harmonisation, encoding, missing values and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pgxdl.data.tabular import TabularSchema, TabularValueError

SCHEMA = TabularSchema.from_config([
    {"name": "weight", "kind": "numeric", "units": "kg", "units_column": "wu",
     "min": 20, "max": 300},
    {"name": "height", "kind": "numeric", "units": "cm", "source_units": "in"},
    {"name": "smoker", "kind": "binary"},
    {"name": "race", "kind": "categorical", "categories": ["Asian", "Black", "White"]},
])


def table(**changes):
    frame = pd.DataFrame({"weight": [70.0, 154.0, np.nan], "wu": ["kg", "lb", "kg"],
                          "height": [70.0, 65.0, 60.0], "smoker": ["yes", "0", None],
                          "race": ["White", None, "Asian"]})
    for key, value in changes.items():
        frame[key] = value
    return frame


def test_encode_harmonises_units_and_marks_missing():
    block = SCHEMA.encode(table())
    np.testing.assert_allclose(block.numeric[:, 0], [70.0, 154 * 0.45359237, np.nan], rtol=1e-6)
    np.testing.assert_allclose(block.numeric[:, 1], [177.8, 165.1, 152.4], rtol=1e-6)
    np.testing.assert_array_equal(block.numeric[:, 2], [1.0, 0.0, np.nan])
    assert block.categorical[:, 0].tolist() == [3, 0, 1]


def test_out_of_range_names_file_row_column():
    with pytest.raises(TabularValueError, match=r"ehr.csv: column 'weight'.*row 2: 453"):
        SCHEMA.encode(table(weight=[70.0, 1000.0, 60.0]), source="ehr.csv")


def test_unparseable_number_and_binary():
    with pytest.raises(TabularValueError, match=r"'height'.*not a number.*row 3: 'tall'"):
        SCHEMA.encode(table(height=[60, 61, "tall"]))
    with pytest.raises(TabularValueError, match=r"'smoker'.*not a binary"):
        SCHEMA.encode(table(smoker=["yes", "maybe", "no"]))


def test_unknown_category_errors_or_maps_to_missing():
    with pytest.raises(TabularValueError, match=r"'race'.*not one of the categories.*'Martian'"):
        SCHEMA.encode(table(race=["White", "Martian", "Asian"]))
    lenient = TabularSchema.from_config([{"name": "race", "kind": "categorical",
                                          "categories": ["White"], "unknown": "missing"}])
    assert lenient.encode(table(race=["White", "Martian", None])).categorical[:, 0].tolist() \
        == [1, 0, 0]


def test_missing_column_and_unknown_unit():
    with pytest.raises(TabularValueError, match="column 'height'.*is missing"):
        SCHEMA.encode(table().drop(columns="height"))
    with pytest.raises(TabularValueError, match="no conversion from unit 'stone'"):
        SCHEMA.encode(table(wu=["kg", "stone", "kg"]))


def test_infinite_value_rejected():
    with pytest.raises(TabularValueError, match="outside the allowed range"):
        SCHEMA.encode(table(weight=[70.0, np.inf, 60.0]))


def test_config_round_trip():
    again = TabularSchema.from_config(SCHEMA.to_config())
    assert again == SCHEMA
