"""Token split and cost, with every expected number worked out by hand in the comments."""

from __future__ import annotations

import pytest

from opencode_lsp.core.llm import ModelCost, ModelInfo, Usage
from opencode_lsp.core.usage import compute_usage, prices_for, split_tokens

SONNET = ModelCost(input=3, output=15, cache_read=0.3, cache_write=3.75)


def test_split_removes_cache_from_input_and_reasoning_from_output():
    tokens = split_tokens(Usage(prompt=1000, completion=300, reasoning=100, cache_read=600, cache_write=150))
    # input 1000 - 600 - 150 = 250; output 300 - 100 = 200
    assert (tokens.input, tokens.output, tokens.reasoning) == (250, 200, 100)
    assert (tokens.cache.read, tokens.cache.write) == (600, 150)
    # total 250 + 200 + 100 + 600 + 150
    assert tokens.total == 1300


def test_split_never_goes_negative():
    tokens = split_tokens(Usage(prompt=10, completion=5, reasoning=8, cache_read=20))
    assert tokens.input == 0 and tokens.output == 0
    assert tokens.total == 0 + 0 + 8 + 20


def test_cost_sums_every_counter_at_its_price():
    tokens, cost = compute_usage(SONNET, Usage(prompt=1000, completion=300, reasoning=100, cache_read=600,
                                                cache_write=150))
    # input 250*3 = 750; output+reasoning 300*15 = 4500; read 600*0.3 = 180; write 150*3.75 = 562.5
    # (750 + 4500 + 180 + 562.5) / 1e6 = 0.0059925
    assert cost == pytest.approx(0.0059925, abs=1e-12)
    assert tokens.total == 1300


def test_reasoning_is_billed_at_output_price():
    _, with_reasoning = compute_usage(ModelCost(input=1, output=10), Usage(prompt=0, completion=50, reasoning=40))
    # output 10 + reasoning 40 = 50 tokens at $10/M = 0.0005
    assert with_reasoning == pytest.approx(0.0005, abs=1e-12)


def test_model_info_is_accepted_in_place_of_its_cost():
    info = ModelInfo(providerID="p", modelID="m", cost=ModelCost(input=2, output=8))
    _, cost = compute_usage(info, Usage(prompt=500_000, completion=1000))
    # 500000*2 + 1000*8 = 1_008_000 / 1e6 = 1.008
    assert cost == pytest.approx(1.008, abs=1e-12)


def test_largest_exceeded_tier_replaces_base_prices():
    cost = ModelCost(input=3, output=15, cache_read=0.3, tiers=[
        {"size": 200_000, "input": 6, "output": 22.5},
        {"size": 100_000, "input": 4},
    ])
    # 250k prompt exceeds both tiers: the 200k one wins; cache_read keeps its base price
    assert prices_for(cost, 250_000) == {"input": 6, "output": 22.5, "cache_read": 0.3, "cache_write": None}
    # 150k exceeds only the 100k tier: input from it, output from the base
    assert prices_for(cost, 150_000)["input"] == 4 and prices_for(cost, 150_000)["output"] == 15
    # exactly at the size does not exceed it
    assert prices_for(cost, 100_000)["input"] == 3


def test_tier_is_chosen_on_the_whole_prompt_including_cache():
    cost = ModelCost(input=3, output=15, cache_read=0.3, tiers=[{"size": 200_000, "input": 6, "output": 22.5,
                                                                  "cache_read": 0.6}])
    _, total = compute_usage(cost, Usage(prompt=210_000, completion=1000, cache_read=150_000))
    # prompt 210k > 200k: tier prices. input 60000*6 = 360000; output 1000*22.5 = 22500;
    # read 150000*0.6 = 90000 -> 472500 / 1e6 = 0.4725
    assert total == pytest.approx(0.4725, abs=1e-12)


def test_unknown_price_makes_cost_unknown_not_zero():
    _, cost = compute_usage(ModelCost(input=3, output=None), Usage(prompt=100, completion=10))
    assert cost is None
    _, cost = compute_usage(ModelCost(), Usage(prompt=1, completion=0))
    assert cost is None


def test_unknown_price_of_an_unused_counter_does_not_matter():
    _, cost = compute_usage(ModelCost(input=3, output=15), Usage(prompt=100, completion=10))
    # no cache tokens, so the unknown cache prices are not needed: 100*3 + 10*15 = 450 / 1e6
    assert cost == pytest.approx(0.00045, abs=1e-12)


def test_free_model_costs_zero():
    tokens, cost = compute_usage(ModelCost(input=0, output=0, cache_read=0, cache_write=0),
                                 Usage(prompt=10, completion=5, cache_read=4))
    assert cost == 0.0 and tokens.total == 15
