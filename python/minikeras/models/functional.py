"""Functional models: `Model(inputs, outputs)` over the graph of layer calls that
connects KerasTensors.  Graph mapping (layer order, depths, 'Graph disconnected'),
execution, and the tf.keras 2.x config format (get_config / from_config)."""
import collections

from .. import _core
from ..engine.api import shape as _sh
from ..layers.node import KerasTensor, flatten, map_structure, pack_sequence_as, is_nested
from .model import Model

C = _core.ops


class Functional(Model):
    """What `Model(inputs, outputs)` returns (class name 'Functional', default name 'model')."""

    def _default_name_base(self):
        if type(self) is Functional:
            return "model"
        return super()._default_name_base()


# ---- building the graph ----------------------------------------------------------------------

def init_graph_network(model, inputs, outputs):
    if isinstance(inputs, list) and len(flatten(inputs)) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(flatten(outputs)) == 1:
        outputs = outputs[0]
    flat_inputs = flatten(inputs)
    flat_outputs = flatten(outputs)
    cls_name = type(model).__name__
    if len({id(i) for i in flat_inputs}) != len(flat_inputs):
        raise ValueError("The list of inputs passed to the model is redundant. All inputs should "
                         f"only appear once. Found: {flat_inputs}")
    for x in flat_inputs:
        if not isinstance(x, KerasTensor) or x._keras_history is None:
            raise ValueError(f"Input tensors to a {cls_name} must come from `tf.keras.Input`. "
                             f"Received: {x} (missing previous layer metadata).")
    for x in flat_outputs:
        if not isinstance(x, KerasTensor) or x._keras_history is None:
            raise ValueError(f"Output tensors of a {cls_name} model must be the output of a "
                             f"TensorFlow `Layer` (thus holding past layer metadata). Found: {x}")
    model._nested_inputs = inputs
    model._nested_outputs = outputs
    model.inputs = flat_inputs
    model.outputs = flat_outputs
    model._enable_dict_to_input_mapping = (
        not is_nested(inputs)
        or (isinstance(inputs, (list, tuple)) and not any(is_nested(t) for t in inputs))
        or (isinstance(inputs, dict) and not any(is_nested(t) for t in inputs.values())))
    model._input_layers = [x._keras_history.layer for x in flat_inputs]
    model._output_layers = [x._keras_history.layer for x in flat_outputs]
    model._input_coordinates = [tuple(x._keras_history) for x in flat_inputs]
    model._output_coordinates = [tuple(x._keras_history) for x in flat_outputs]
    nodes, nodes_by_depth, layers, layers_by_depth = _map_graph_network(flat_inputs, flat_outputs)
    model._network_nodes = nodes
    model._nodes_by_depth = nodes_by_depth
    model._graph_layers = layers
    model._layers_by_depth = layers_by_depth
    order = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if not node.is_input:
                order.append(node)
    model._compute_order = order
    model._is_graph_network = True
    model.input_names = [layer.name for layer in model._input_layers]
    model.output_names = _output_names(model._output_layers)
    model.built = True


def _output_names(output_layers):
    uniquified = []
    names = set()
    prefix_count = {}
    for layer in output_layers:
        proposal = layer.name
        while proposal in names:
            existing = prefix_count.get(layer.name, 1)
            proposal = f"{layer.name}_{existing}"
            prefix_count[layer.name] = existing + 1
        names.add(proposal)
        uniquified.append(proposal)
    return uniquified


def _build_map(outputs):
    finished = set()
    in_progress = set()
    nodes_in_decreasing_depth = []
    layer_indices = {}

    def helper(tensor):
        layer = tensor._keras_history.layer
        node = tensor._keras_history.node
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f'The tensor {tensor} at layer "{layer.name}" is part of a cycle.')
        if id(layer) not in layer_indices:
            layer_indices[id(layer)] = len(layer_indices)
        in_progress.add(id(node))
        if not node.is_input:
            for t in node.keras_inputs:
                helper(t)
        finished.add(id(node))
        in_progress.remove(id(node))
        nodes_in_decreasing_depth.append(node)

    for out in outputs:
        helper(out)
    return nodes_in_decreasing_depth, layer_indices


def _map_graph_network(inputs, outputs):
    """(network nodes, nodes by depth, layers in tf.keras order, layers by depth)."""
    nodes_in_decreasing_depth, layer_indices = _build_map(outputs)
    network_nodes = {id(n) for n in nodes_in_decreasing_depth}
    nodes_depths = {}          # id(node) -> depth (insertion ordered like TF's dict)
    node_of = {}
    layers_depths = {}         # id(layer) -> depth
    layer_of = {}
    for node in reversed(nodes_in_decreasing_depth):
        node_of[id(node)] = node
        depth = nodes_depths.setdefault(id(node), 0)
        previous_depth = layers_depths.get(id(node.layer), 0)
        depth = max(depth, previous_depth)
        layers_depths[id(node.layer)] = depth
        layer_of[id(node.layer)] = node.layer
        nodes_depths[id(node)] = depth
        for node_dep in node.parent_nodes:
            node_of[id(node_dep)] = node_dep
            previous_depth = nodes_depths.get(id(node_dep), 0)
            nodes_depths[id(node_dep)] = max(depth + 1, previous_depth)
    for input_t in inputs:
        input_layer = input_t._keras_history.layer
        if id(input_layer) not in layers_depths:
            layers_depths[id(input_layer)] = 0
            layer_of[id(input_layer)] = input_layer
            layer_indices[id(input_layer)] = -1
            n0 = input_layer._inbound_nodes[0]
            nodes_depths[id(n0)] = 0
            node_of[id(n0)] = n0
            network_nodes.add(id(n0))
    nodes_by_depth = collections.defaultdict(list)
    for nid, depth in nodes_depths.items():
        nodes_by_depth[depth].append(node_of[nid])
    layers_by_depth = collections.defaultdict(list)
    for lid, depth in layers_depths.items():
        layers_by_depth[depth].append(layer_of[lid])
    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        for_depth = sorted(layers_by_depth[depth], key=lambda x: layer_indices[id(x)])
        layers.extend(for_depth)
    computable = {id(x) for x in inputs}
    with_complete_input = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            layer = node.layer
            if layer is not None and not node.is_input:
                for x in node.keras_inputs:
                    if id(x) not in computable:
                        raise ValueError(
                            f"Graph disconnected: cannot obtain value for tensor {x} at layer "
                            f'"{layer.name}". The following previous layers were accessed without '
                            f"issue: {with_complete_input}")
                for x in node.flat_outputs:
                    computable.add(id(x))
                with_complete_input.append(layer.name)
    all_names = [layer.name for layer in layers]
    for name in all_names:
        if all_names.count(name) != 1:
            raise ValueError(f'The name "{name}" is used {all_names.count(name)} times in the model. '
                             "All layer names should be unique.")
    return network_nodes, dict(nodes_by_depth), layers, dict(layers_by_depth)


# ---- running the graph --------------------------------------------------------------------

def _flatten_to_reference_inputs(model, tensors):
    if getattr(model, "_enable_dict_to_input_mapping", False) and isinstance(tensors, dict):
        ref_inputs = model._nested_inputs
        if not is_nested(ref_inputs):
            ref_inputs = [ref_inputs]
        if isinstance(ref_inputs, dict):
            names = sorted(ref_inputs.keys())
        else:
            names = [inp._keras_history.layer.name for inp in ref_inputs]
        try:
            return [tensors[n] for n in names]
        except KeyError:
            return flatten(tensors)
    return flatten(tensors)


def _conform(tensor, ref, symbolic):
    """tf.keras's _conform_to_reference_input: (N,) <-> (N, 1) and a cast to the Input's dtype."""
    if isinstance(tensor, KerasTensor):
        shape = tensor.shape
        if shape.rank is not None and ref.shape.rank is not None:
            if shape.rank == ref.shape.rank + 1 and shape[-1] == 1:
                shape = shape[:-1]
            elif shape.rank == ref.shape.rank - 1 and ref.shape[-1] == 1:
                shape = shape.concatenate([1])
        if shape == tensor.shape and tensor.dtype == ref.dtype:
            return tensor
        return KerasTensor(shape, ref.dtype)
    if not isinstance(tensor, _core.TensorBase):
        from ..engine.tensor import convert_to_tensor
        tensor = convert_to_tensor(tensor)
    rank, ref_rank = tensor.ndim, ref.shape.rank
    if ref_rank is not None:
        if rank == ref_rank + 1 and tensor._shape[-1] == 1:
            tensor = _sh.squeeze(tensor, [-1])
        elif rank == ref_rank - 1 and ref.shape[-1] == 1:
            tensor = _sh.expand_dims(tensor, -1)
    if tensor._dtype_id != ref.dtype._id:
        tensor = C["cast"](tensor, ints=(ref.dtype._id,))
    return tensor


def run_internal_graph(model, inputs, symbolic=False):
    """Run the model's nodes in depth order on `inputs` (tensors, or KerasTensors when
    `symbolic`: then only output shapes/dtypes are inferred, nothing is recorded)."""
    flat = _flatten_to_reference_inputs(model, inputs)
    if len(flat) != len(model.inputs):
        raise ValueError(f"Layer {model.name} expects {len(model.inputs)} input(s), but it received "
                         f"{len(flat)} input tensors. Inputs received: {flat}")
    tensor_dict = {}
    for x, y in zip(model.inputs, flat):
        tensor_dict[id(x)] = _conform(y, x, symbolic)
    for node in model._compute_order:
        if any(id(kt) not in tensor_dict for kt in node.keras_inputs):
            continue
        args, kwargs = node.map_arguments(tensor_dict)
        if symbolic:
            outs = node.layer._infer_output_spec(args[0], tuple(args[1:]), dict(kwargs))
        else:
            outs = node.layer(*args, **kwargs)
        for kt, v in zip(node.flat_outputs, flatten(outs)):
            tensor_dict[id(kt)] = v
    return map_structure(lambda kt: tensor_dict[id(kt)], model._nested_outputs)


# ---- config -------------------------------------------------------------------------------

def _make_node_key(layer_name, node_index):
    return layer_name + "_ib-" + str(node_index)


def _serialize_node(node, node_conversion_map):
    import json
    layer = node.layer
    args, kwargs = node.call_args, node.call_kwargs
    inputs = args[0] if args else None
    positional, _, _, _ = layer._call_spec()
    arguments = dict(zip(positional, args[1:]))
    if len(args) > 1 and not positional:      # TFOpLambda: the op's other positional arguments
        arguments["__args__"] = _encode_const(list(args[1:]))
    arguments.update(kwargs)

    def ser_tensor(t):
        if isinstance(t, KerasTensor):
            h = t._keras_history
            key = _make_node_key(h.layer.name, h.node_index)
            return [h.layer.name, node_conversion_map.get(key, 0), h.tensor_index]
        if isinstance(t, _core.TensorBase):
            return t.numpy().tolist()
        if hasattr(t, "tolist"):
            return t.tolist()
        return t
    kwargs = map_structure(ser_tensor, arguments)
    try:
        json.dumps(kwargs)
    except TypeError:
        raise TypeError(f"Layer {layer.name} was passed non-JSON-serializable arguments. Arguments "
                        f"had types: {map_structure(type, kwargs)}. They cannot be serialized out "
                        "when saving the model.") from None

    def first_arg(t):
        if isinstance(t, KerasTensor):
            h = t._keras_history
            key = _make_node_key(h.layer.name, h.node_index)
            return [h.layer.name, node_conversion_map.get(key, 0), h.tensor_index, kwargs]
        return ["_CONSTANT_VALUE", -1, ser_tensor(t), kwargs]

    def walk(s):
        if isinstance(s, (list, tuple)):
            return [walk(x) for x in s]
        if isinstance(s, dict):
            return {k: walk(v) for k, v in s.items()}
        return first_arg(s)
    data = walk(inputs)
    if not is_nested(inputs):
        data = [data]
    return data


def _encode_const(v):
    """Python constants in op arguments -> JSON (slices, tuples, Ellipsis, None kept)."""
    if isinstance(v, slice):
        return {"__slice__": [_encode_const(v.start), _encode_const(v.stop), _encode_const(v.step)]}
    if v is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(v, tuple):
        return {"__tuple__": [_encode_const(x) for x in v]}
    if isinstance(v, list):
        return [_encode_const(x) for x in v]
    return v


def _decode_const(v):
    if isinstance(v, dict):
        if "__slice__" in v:
            return slice(*[_decode_const(x) for x in v["__slice__"]])
        if "__ellipsis__" in v:
            return Ellipsis
        if "__tuple__" in v:
            return tuple(_decode_const(x) for x in v["__tuple__"])
        return {k: _decode_const(x) for k, x in v.items()}
    if isinstance(v, list) and not _is_leaf(v):
        return [_decode_const(x) for x in v]
    return v


def get_network_config(model):
    from ..layers import serialize as serialize_layer
    config = {"name": model.name}
    node_conversion_map = {}
    network_nodes = model._network_nodes
    for layer in model.layers:
        kept = 0
        for i, node in enumerate(layer._inbound_nodes):
            if id(node) in network_nodes:
                node_conversion_map[_make_node_key(layer.name, i)] = kept
                kept += 1
    layer_configs = []
    for layer in model.layers:
        filtered = []
        for node in layer._inbound_nodes:
            if id(node) in network_nodes and not node.is_input:
                filtered.append(_serialize_node(node, node_conversion_map))
        lc = serialize_layer(layer)
        lc["name"] = layer.name
        lc["inbound_nodes"] = filtered
        layer_configs.append(lc)
    config["layers"] = layer_configs

    def coords(tensors, nested):
        out = []
        for t in tensors:
            layer, node_index, tensor_index = tuple(t._keras_history)
            key = _make_node_key(layer.name, node_index)
            out.append([layer.name, node_conversion_map.get(key, 0), tensor_index])
        packed = _pack_leaves(nested, out)
        if not is_nested(packed) or _is_leaf(packed):
            packed = [packed]
        return packed
    config["input_layers"] = coords(model.inputs, model._nested_inputs)
    config["output_layers"] = coords(model.outputs, model._nested_outputs)
    return config


def _is_leaf(d):
    return isinstance(d, (list, tuple)) and len(d) in (3, 4) and isinstance(d[0], str) \
        and isinstance(d[1], int)


def _flatten_leaves(d):
    if _is_leaf(d):
        return [d]
    if isinstance(d, dict):
        return [x for k in sorted(d) for x in _flatten_leaves(d[k])]
    if isinstance(d, (list, tuple)):
        return [x for v in d for x in _flatten_leaves(v)]
    return [d]


def _pack_leaves(structure, flat):
    it = iter(flat)

    def rebuild(s):
        if isinstance(s, KerasTensor) or _is_leaf(s):
            return next(it)
        if isinstance(s, dict):
            vals = {k: rebuild(s[k]) for k in sorted(s)}
            return {k: vals[k] for k in s}
        if isinstance(s, (list, tuple)):
            return [rebuild(x) for x in s]
        return next(it)
    return rebuild(structure)


def reconstruct_from_config(config, custom_objects=None):
    """(inputs, outputs, {name: layer}) rebuilt from a functional config."""
    from ..layers import deserialize as deserialize_layer
    from ..layers.input_layer import InputLayer
    created_layers = {}
    unprocessed = {}
    node_index_map = {}
    node_count = {}

    def add_unprocessed(layer, node_data):
        unprocessed.setdefault(layer, []).append(node_data)

    def get_node_index(layer, config_node_index):
        if isinstance(layer, InputLayer):
            return 0
        return node_index_map.get((layer.name, config_node_index), None)

    def deser_kwargs(kwargs):
        def sub(v):
            if _is_leaf(v) and len(v) == 3 and v[0] in created_layers:
                layer = created_layers[v[0]]
                idx = get_node_index(layer, v[1])
                if idx is None:
                    raise IndexError
                return flatten(layer._inbound_nodes[idx].outputs)[v[2]]
            if isinstance(v, dict):
                return {k: sub(x) for k, x in v.items()}
            if isinstance(v, list) and not _is_leaf(v):
                return [sub(x) for x in v]
            return v
        return {k: sub(v) for k, v in kwargs.items()}

    def process_node(layer, node_data):
        input_tensors = []
        kwargs = {}
        for input_data in _flatten_leaves(node_data):
            name, inbound_node_index, inbound_tensor_index = input_data[0], input_data[1], input_data[2]
            if len(input_data) == 4:
                try:
                    kwargs = deser_kwargs(input_data[3])
                except IndexError:
                    add_unprocessed(layer, node_data)
                    return
            if name != "_CONSTANT_VALUE":
                inbound_layer = created_layers[name]
                idx = get_node_index(inbound_layer, inbound_node_index)
                if idx is None:
                    add_unprocessed(layer, node_data)
                    return
                node = inbound_layer._inbound_nodes[idx]
                input_tensors.append(flatten(node.outputs)[inbound_tensor_index])
            else:
                input_tensors.append(inbound_tensor_index)
        packed = _pack_leaves(node_data, input_tensors)
        if not isinstance(packed, dict) and len(flatten(packed)) == 1:
            packed = flatten(packed)[0]
        kwargs = dict(kwargs)
        extra = kwargs.pop("__args__", [])
        extra = [_decode_const(a) for a in extra]
        output_tensors = layer(packed, *extra, **kwargs)
        out_index = flatten(output_tensors)[0]._keras_history.node_index
        node_index_map[(layer.name, node_count[layer])] = out_index
        node_count[layer] += 1

    for layer_data in config["layers"]:
        layer = deserialize_layer(layer_data, custom_objects=custom_objects)
        created_layers[layer_data["name"]] = layer
        node_count[layer] = 0
        for node_data in layer_data.get("inbound_nodes", []):
            add_unprocessed(layer, node_data)
    guard = 0
    while unprocessed:
        guard += 1
        if guard > 10000:
            raise ValueError("Improperly formatted model config: cannot connect the layers.")
        for layer_data in config["layers"]:
            layer = created_layers[layer_data["name"]]
            if layer in unprocessed:
                nodes = unprocessed.pop(layer)
                while nodes:
                    node_data = nodes[0]
                    before = len(unprocessed.get(layer, []))
                    process_node(layer, node_data)
                    if len(unprocessed.get(layer, [])) > before:
                        unprocessed[layer].extend(nodes[1:])
                        break
                    nodes.pop(0)

    def collect(layers_config):
        tensors = []
        for name, node_index, tensor_index in _flatten_leaves(layers_config):
            layer = created_layers[name]
            idx = get_node_index(layer, node_index)
            tensors.append(flatten(layer._inbound_nodes[idx].output_tensors)[tensor_index])
        return _pack_leaves(layers_config, tensors)
    inputs = collect(config["input_layers"])
    outputs = collect(config["output_layers"])
    return inputs, outputs, created_layers
