"""model.summary(): tf.keras 2.5's layout (keras/utils/layer_utils.py print_summary)."""
import numpy as np

from ..layers.node import flatten


def count_params(weights):
    """Total number of scalars in the (distinct) weights."""
    seen = set()
    total = 0
    for w in weights:
        if id(w) in seen:
            continue
        seen.add(id(w))
        total += int(np.prod(w.shape.as_list(), dtype=np.int64))
    return total


def _is_sequential_like(model):
    if type(model).__name__ == "Sequential":
        return True
    if not getattr(model, "_is_graph_network", False):
        return True
    nodes = []
    for v in model._nodes_by_depth.values():
        if len(v) > 1 or (len(v) == 1 and len(flatten(v[0].keras_inputs)) > 1):
            return False
        nodes += v
    node_ids = {id(n) for n in nodes}
    for layer in model.layers:
        flag = False
        for node in layer._inbound_nodes:
            if id(node) in node_ids:
                if flag:
                    return False
                flag = True
    return True


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print a table of the model's layers (name (class), output shape, parameter count
    and, for branching functional models, the inbound layers)."""
    if print_fn is None:
        print_fn = print
    sequential_like = _is_sequential_like(model)
    relevant_nodes = None
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [.45, .85, 1.]
        if positions[-1] <= 1:
            positions = [int(line_length * p) for p in positions]
        to_display = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [.33, .55, .67, 1.]
        if positions[-1] <= 1:
            positions = [int(line_length * p) for p in positions]
        to_display = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        relevant_nodes = set()
        for v in model._nodes_by_depth.values():
            relevant_nodes.update(id(n) for n in v)

    def print_row(fields, positions):
        line = ""
        for i in range(len(fields)):
            if i > 0:
                line = line[:-1] + " "
            line += str(fields[i])
            line = line[:positions[i]]
            line += " " * (positions[i] - len(line))
        print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_row(to_display, positions)
    print_fn("=" * line_length)

    def output_shape_of(layer):
        try:
            return layer.output_shape
        except AttributeError:
            return "multiple"
        except RuntimeError:
            return "?"

    def print_layer_summary(layer):
        output_shape = output_shape_of(layer)
        if not layer.built and not getattr(layer, "_is_graph_network", False):
            params = "0 (unused)"
        else:
            params = layer.count_params()
        print_row([f"{layer.name} ({type(layer).__name__})", output_shape, params], positions)

    def print_layer_summary_with_connections(layer):
        output_shape = output_shape_of(layer)
        connections = []
        for node in layer._inbound_nodes:
            if relevant_nodes and id(node) not in relevant_nodes:
                continue
            for inbound_layer, node_index, tensor_index, _ in node.iterate_inbound():
                connections.append(f"{inbound_layer.name}[{node_index}][{tensor_index}]")
        first = connections[0] if connections else ""
        print_row([f"{layer.name} ({type(layer).__name__})", output_shape, layer.count_params(),
                   first], positions)
        for c in connections[1:]:
            print_row(["", "", "", c], positions)

    layers = model.layers
    for i, layer in enumerate(layers):
        if sequential_like:
            print_layer_summary(layer)
        else:
            print_layer_summary_with_connections(layer)
        if i == len(layers) - 1:
            print_fn("=" * line_length)
        else:
            print_fn("_" * line_length)

    trainable_count = count_params(model.trainable_weights)
    non_trainable_count = count_params(model.non_trainable_weights)
    print_fn(f"Total params: {trainable_count + non_trainable_count:,}")
    print_fn(f"Trainable params: {trainable_count:,}")
    print_fn(f"Non-trainable params: {non_trainable_count:,}")
    print_fn("_" * line_length)
