"""The graph model: edits, events, refusals, validation, shapes, counts."""
import pytest

from nnbuilder.core.errors import GraphError
from nnbuilder.core.model.graph import MAX_UNITS, Graph


def codes(graph, severity=None):
    return sorted({(p.code, p.node_id) for p in graph.validate()
                   if severity is None or p.severity == severity})


def test_lecture_3_4_2_network_has_26_parameters():
    g = Graph.chain([3, 4, 2], output_activation="softmax", loss="cross_entropy")
    assert g.total_params() == 26
    assert g.param_count("dense1") == (16, "3×4 + 4 = 16")
    assert g.param_count("output") == (10, "4×2 + 2 = 10")
    assert g.param_arithmetic() == "(3×4 + 4) + (4×2 + 2) = 26"
    assert g.validate() == []


def test_2_4_4_1_has_37_parameters():
    assert Graph.chain([2, 4, 4, 1]).total_params() == 37


def test_ids_are_stable_strings_and_unique():
    g = Graph()
    a, b = g.add_node("dense"), g.add_node("dense")
    assert isinstance(a.id, str) and a.id != b.id and a.id.startswith("dense-")
    with pytest.raises(GraphError, match="exists already"):
        g.add_node("dense", node_id=a.id)


def test_events_follow_every_edit_and_undo_data_round_trips():
    g = Graph.chain([2, 3, 1])
    seen = []
    for ev in ("node_added", "node_removed", "node_changed", "node_moved", "edge_added", "edge_removed"):
        getattr(g, ev).connect(lambda *a, ev=ev: seen.append(ev))
    before = g.to_dict()
    removed = g.remove_node("dense1")
    assert seen == ["edge_removed", "edge_removed", "node_removed"]
    g.restore_node(removed)
    assert g.to_dict() == before
    old = g.set_params("dense1", units=7)
    assert old == {"units": 3} and g.nodes["dense1"].params["units"] == 7
    g.move_node("dense1", (5, 6))
    assert seen[-2:] == ["node_changed", "node_moved"]
    idx = g.disconnect("input", "dense1")
    g.connect("input", "dense1", idx)
    assert seen[-2:] == ["edge_removed", "edge_added"]


@pytest.mark.parametrize("src,dst,reason", [
    ("output", "dense1", "feeds only the loss"),
    ("dense1", "input", "no inputs"),
    ("dense1", "dense1", "cannot feed itself"),
    ("input", "dense1", "connected already"),
    ("dense2", "dense1", "takes one input"),
])
def test_refused_connections_say_why(src, dst, reason):
    g = Graph.chain([2, 3, 3, 1])
    assert reason in g.connection_refusal(src, dst)
    with pytest.raises(GraphError, match=reason):
        g.connect(src, dst)


def test_cycle_and_add_width_mismatch_are_refused():
    g = Graph()
    g.add_node("input", node_id="in")
    g.add_node("activation", node_id="a")
    g.add_node("activation", node_id="b")
    g.add_node("add", node_id="sum")
    g.add_node("dense", {"units": 5}, node_id="d")
    g.connect("in", "a")
    g.connect("a", "sum")
    g.connect("sum", "b")
    assert "takes one input" in g.connection_refusal("b", "a")  # checked before the cycle
    g.add_node("concat", node_id="c")
    g.connect("b", "c")
    assert "cycle" in g.connection_refusal("c", "sum")
    g.connect("in", "d")
    assert "width 2" in g.connection_refusal("d", "sum") and "width 5" in g.connection_refusal("d", "sum")


def test_validation_names_the_node_for_each_problem():
    g = Graph()
    assert ("no_input", None) in codes(g) and ("no_output", None) in codes(g)
    g = Graph.chain([2, 4, 1])
    g.add_node("dense", node_id="loose")
    g.add_node("input", node_id="in2")
    assert ("unconnected", "loose") in codes(g)
    assert ("several_inputs", "in2") in codes(g)


def test_validation_reports_cycles_loaded_from_a_file():
    g = Graph.from_dict({"nodes": [{"id": "in", "type": "input"}, {"id": "a", "type": "activation"},
                                   {"id": "b", "type": "activation"}, {"id": "s", "type": "add"},
                                   {"id": "out", "type": "output"}],
                         "edges": [{"source": "in", "target": "s"}, {"source": "b", "target": "s"},
                                   {"source": "s", "target": "a"}, {"source": "a", "target": "b"},
                                   {"source": "a", "target": "out"}]})
    assert {("cycle", n) for n in ("a", "b", "s")} <= set(codes(g))


def test_add_dimension_mismatch_from_a_file():
    g = Graph.from_dict({"nodes": [{"id": "in", "type": "input"},
                                   {"id": "a", "type": "dense", "params": {"units": 3}},
                                   {"id": "s", "type": "add"}, {"id": "out", "type": "output"}],
                         "edges": [{"source": "in", "target": "s"}, {"source": "in", "target": "a"},
                                   {"source": "a", "target": "s"}, {"source": "s", "target": "out"}]})
    problems = [p for p in g.validate() if p.code == "dim_mismatch"]
    assert len(problems) == 1 and problems[0].node_id == "s" and "2 and 3" in problems[0].message


@pytest.mark.parametrize("units,act,loss,needle", [
    (1, "softmax", "cross_entropy", "at least 2 output units"),
    (3, "sigmoid", "cross_entropy", "needs a softmax output"),
    (2, "sigmoid", "bce", "needs 1 output unit"),
    (1, "linear", "bce", "needs a sigmoid output"),
    (2, "tanh", "hinge", "hinge loss needs 1 output unit"),
])
def test_loss_output_mismatch(units, act, loss, needle):
    g = Graph.chain([2, 3, units], output_activation=act, loss=loss)
    msgs = [p.message for p in g.validate() if p.code == "loss_mismatch"]
    assert any(needle in m for m in msgs), msgs
    assert all(p.node_id == "output" for p in g.validate() if p.code == "loss_mismatch")


def test_step_activation_is_a_warning_and_softmax_is_output_only():
    g = Graph.chain([2, 3, 1], activation="step")
    assert ("zero_gradient", "dense1") in codes(g, "warning")
    assert g.errors() == []
    g.set_params("dense1", activation="softmax")
    assert ("output_only", "dense1") in codes(g, "error")


def test_size_caps():
    g = Graph.chain([2, 3, 1])
    with pytest.raises(GraphError, match=f"between 1 and {MAX_UNITS}"):
        g.set_params("dense1", units=MAX_UNITS + 1)
    with pytest.raises(GraphError, match="unknown activation"):
        g.set_params("dense1", activation="gelu")
    g = Graph.chain([2] + [1024] * 3 + [1])
    assert ("too_large", None) in codes(g)


def test_concat_width_is_the_sum_and_counts_downstream():
    g = Graph()
    g.add_node("input", {"features": ["x1", "x2", "sin(x1)"]}, node_id="in")
    g.add_node("dense", {"units": 4}, node_id="a")
    g.add_node("concat", node_id="c")
    g.add_node("output", {"units": 1}, node_id="out")
    for s, t in [("in", "a"), ("in", "c"), ("a", "c"), ("c", "out")]:
        g.connect(s, t)
    assert g.widths()["c"] == 7
    assert g.param_count("out") == (8, "7×1 + 1 = 8")


def test_counts_of_unconnected_layers_are_unknown_not_zero():
    g = Graph()
    g.add_node("dense", {"units": 4}, node_id="d")
    assert g.param_count("d") == (0, "?×4 + 4 = ?")
    assert g.param_arithmetic() == "?×4 + 4 = ?"


# ------------------------------------------------------------------ names
def test_nodes_get_readable_names_the_first_free_number_per_type():
    g = Graph.chain([2, 4, 4, 1])
    assert g.names() == ["Input", "Dense 1", "Dense 2", "Output"]
    assert g.nodes["dense1"].name == "Dense 1" and g.label("dense2") == "Dense 2"
    g.remove_node("dense1")
    assert g.add_node("dense").name == "Dense 1"  # the first free number
    assert g.add_node("dense").name == "Dense 3"
    assert g.add_node("dropout").name == "Dropout 1"
    assert g.add_node("input").name == "Input 2"  # the ends are plain "Input", "Output" first
    assert g.add_node("dense", name="  Hidden  ").name == "Hidden"


@pytest.mark.parametrize("name,why", [
    ("", "cannot be empty"), ("   ", "cannot be empty"), ("Dense 2", "another node is called 'Dense 2'"),
    ("dense 2", "another node is called 'Dense 2'"), ("x" * 41, "at most 40 characters"),
    ("two\nlines", "one line of text"), (3, "must be text"),
])
def test_renaming_refuses_empty_duplicate_and_odd_names(name, why):
    g = Graph.chain([2, 4, 4, 1])
    assert why in g.name_refusal(name, "dense1")
    with pytest.raises(GraphError, match=why.split("'")[0]):
        g.rename_node("dense1", name)
    assert g.nodes["dense1"].name == "Dense 1"
    with pytest.raises(GraphError, match="another node"):
        g.add_node("dense", name="Output")


def test_rename_emits_a_change_and_returns_the_old_name_for_undo():
    g = Graph.chain([2, 4, 1])
    seen = []
    g.node_changed.connect(lambda node, keys: seen.append((node.id, keys)))
    assert g.name_refusal("Dense 1", "dense1") is None  # its own name again is fine
    assert g.rename_node("dense1", " Hidden ") == "Dense 1"
    assert g.nodes["dense1"].name == "Hidden" and seen == [("dense1", ("name",))]
    assert g.to_dict()["nodes"][1] == {"id": "dense1", "name": "Hidden", "type": "dense",
                                       "params": g.nodes["dense1"].params, "position": [220.0, 0.0]}


def test_names_round_trip_and_old_files_get_names_in_the_order_data_flows():
    g = Graph.chain([2, 4, 4, 1])
    g.rename_node("dense2", "Second")
    assert Graph.from_dict(g.to_dict()).names() == ["Input", "Dense 1", "Second", "Output"]
    # A file from before names, its nodes listed out of order: names follow the data.
    old = {"nodes": [{"id": "o", "type": "output"}, {"id": "late", "type": "dense"},
                     {"id": "early", "type": "dense"}, {"id": "i", "type": "input"}],
           "edges": [{"source": "i", "target": "early"}, {"source": "early", "target": "late"},
                     {"source": "late", "target": "o"}]}
    for _ in range(2):  # the same names every time
        h = Graph.from_dict(old)
        assert {n.id: n.name for n in h.nodes.values()} == {
            "i": "Input", "early": "Dense 1", "late": "Dense 2", "o": "Output"}
    # Some named, some not: the named keep theirs, the others take free ones.
    old["nodes"][1]["name"] = "Dense 1"
    h = Graph.from_dict(old)
    assert h.nodes["late"].name == "Dense 1" and h.nodes["early"].name == "Dense 2"


@pytest.mark.parametrize("names,index,why", [
    (["A", "a"], 1, "another node is called 'A'"), (["A", " "], 1, "cannot be empty"),
])
def test_bad_names_in_a_file_name_their_json_path(names, index, why):
    from nnbuilder.core.model.graph import GraphDictError

    data = {"nodes": [{"id": f"n{i}", "type": "dense", "name": n} for i, n in enumerate(names)],
            "edges": []}
    with pytest.raises(GraphDictError) as e:
        Graph.from_dict(data)
    assert e.value.path == f"$.graph.nodes[{index}].name" and why in e.value.reason


def test_refusals_and_problems_name_nodes_by_name_not_id():
    g = Graph.chain([2, 3, 3, 1])
    assert g.connection_refusal("dense2", "dense1") == "'Dense 1' takes one input and has one already"
    g.add_node("dense", node_id="dense-2a7901e3")
    (p,) = [p for p in g.validate() if p.node_id == "dense-2a7901e3"]
    assert p.node_name == "Dense 3" and str(p) == "error: Dense 3: has no input connected"
    assert "dense-2a7901e3" not in str(p)
    g.connect("input", "dense-2a7901e3")
    g.set_params("dense-2a7901e3", units=5)
    g.add_node("add", node_id="add-x")
    g.connect("dense1", "add-x")
    why = g.connection_refusal("dense-2a7901e3", "add-x")
    assert why == "'Add 1' needs inputs of equal width: its inputs have width 3; 'Dense 3' has width 5"
