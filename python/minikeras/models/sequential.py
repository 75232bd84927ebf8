"""keras.Sequential: a linear stack of layers.

With a known input shape (an InputLayer / keras.Input first, `input_shape=` on the
first layer, or `build(input_shape)`) the model is built at once and also keeps a
functional graph (so `model.input`, `layer.output`, summary shapes work); otherwise
it is built on its first call, from the shape of that input."""
from .. import _core
from ..layers.base import Layer, _default
from ..layers.input_layer import Input, InputLayer
from ..layers.node import KerasTensor, flatten
from .functional import Functional
from .model import Model

SINGLE_LAYER_OUTPUT_ERROR_MSG = ("All layers in a Sequential model should have a single output "
                                 "tensor. For multi-output layers, use the functional API.")


def _input_shape_and_dtype(layer):
    """(batch_input_shape, dtype) declared on a layer (or a nested model's first layer)."""
    def first(layer):
        if isinstance(layer, Sequential):
            return first(layer._seq_layers[0]) if layer._seq_layers else None
        if isinstance(layer, Model) and layer._is_graph_network:
            return layer._input_layers[0] if len(layer._input_layers) == 1 else None
        return layer
    layer = first(layer)
    if layer is not None and hasattr(layer, "_batch_input_shape"):
        return layer._batch_input_shape, layer.dtype
    return None, None


def _relax_input_shape(shape_1, shape_2):
    if shape_1 is None or shape_2 is None:
        return None
    if len(shape_1) != len(shape_2):
        return None
    return tuple(None if d1 != d2 else d1 for d1, d2 in zip(shape_1, shape_2))


def _clear_previously_created_nodes(layer, created_nodes):
    for node in layer._inbound_nodes:
        for kt in node.keras_inputs:
            prev = kt._keras_history.layer
            prev.__dict__["_outbound_nodes"] = [n for n in prev._outbound_nodes
                                                if id(n) not in created_nodes]
    layer.__dict__["_inbound_nodes"] = [n for n in layer._inbound_nodes if id(n) not in created_nodes]


class Sequential(Functional):
    """`Sequential([layers.Dense(100, 'relu', input_shape=(50,)), layers.Dense(10)])`."""

    def __init__(self, layers=None, name=None):
        Layer.__init__(self, name=name, autocast=False)
        self._init_model_state()
        self.supports_masking = True
        self._seq_layers = []
        self._has_explicit_input_shape = False
        self._inferred_input_shape = None
        self._graph_initialized = False
        self._use_legacy_deferred_behavior = False
        self._created_nodes = set()
        if layers:
            if not isinstance(layers, (list, tuple)):
                layers = [layers]
            for layer in layers:
                self.add(layer)

    def _default_name_base(self):
        from .. import backend
        return backend.to_snake_case(type(self).__name__)

    # -- layers ------------------------------------------------------------------------------
    @property
    def layers(self):
        layers = self._seq_layers
        if layers and isinstance(layers[0], InputLayer):
            return layers[1:]
        return layers[:]

    def _direct_sublayers(self):
        extra = [l for l in self._tracked_sublayers() if not any(l is s for s in self._seq_layers)]
        return list(self._seq_layers) + extra

    def _is_layer_name_unique(self, layer):
        for ref in self.layers:
            if layer.name == ref.name and ref is not layer:
                return False
        return True

    def add(self, layer):
        """Append a layer (or a keras.Input KerasTensor) on top of the stack."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            origin = layer._keras_history.layer
            if isinstance(origin, InputLayer):
                layer = origin
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Found: " + str(layer))
        if not self._is_layer_name_unique(layer):
            raise ValueError("All layers added to a Sequential model should have unique names. Name "
                             f'"{layer.name}" is already the name of a layer in this model. Update '
                             "the `name` argument to pass a unique name.")
        self.built = False
        set_inputs = False
        if not self._seq_layers:
            if isinstance(layer, InputLayer):
                set_inputs = True
            else:
                batch_shape, dtype = _input_shape_and_dtype(layer)
                if batch_shape:
                    x = Input(batch_shape=batch_shape, dtype=dtype, name=layer.name + "_input")
                    layer(x)
                    self._seq_layers.append(x._keras_history.layer)
                    set_inputs = True
            if set_inputs:
                outputs = flatten(layer._inbound_nodes[-1].outputs)
                if len(outputs) != 1:
                    raise ValueError(SINGLE_LAYER_OUTPUT_ERROR_MSG)
                self.outputs = outputs
                self.inputs = _source_inputs(outputs[0])
                self.built = True
                self._has_explicit_input_shape = True
        elif self.outputs:
            output = layer(self.outputs[0])
            if len(flatten(output)) != 1:
                raise ValueError(SINGLE_LAYER_OUTPUT_ERROR_MSG)
            self.outputs = [output]
            self.built = True
        self._seq_layers.append(layer)
        if set_inputs or self._graph_initialized:
            self._init_graph_network(self.inputs, self.outputs)
            self._graph_initialized = True

    def pop(self):
        """Remove the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        self._seq_layers.pop()
        if not self.layers:
            self.outputs = None
            self.inputs = None
            self.built = False
            self._inferred_input_shape = None
            self._has_explicit_input_shape = False
            self._graph_initialized = False
            self._is_graph_network = False
        elif self._graph_initialized:
            last = self.layers[-1]
            nodes = [n for n in last._inbound_nodes if id(n) in self._network_nodes]
            last.__dict__["_outbound_nodes"] = []
            self.outputs = [flatten(nodes[-1].outputs)[0] if nodes else last.output]
            self._init_graph_network(self.inputs, self.outputs)
            self.built = True

    # -- building ----------------------------------------------------------------------------
    def _init_graph_network(self, inputs, outputs):
        super()._init_graph_network(inputs, outputs)

    def _build_graph_network_for_inferred_shape(self, input_shape, input_dtype=None):
        if self._use_legacy_deferred_behavior or input_shape is None or not self._seq_layers:
            return
        if self._has_explicit_input_shape:
            return
        input_shape = tuple(input_shape)
        if self._inferred_input_shape is None:
            new_shape = input_shape
        else:
            new_shape = _relax_input_shape(self._inferred_input_shape, input_shape)
        if new_shape is None or new_shape == self._inferred_input_shape:
            return
        from ..layers.base import init_scope
        with init_scope():
            inputs = Input(batch_shape=new_shape, dtype=input_dtype,
                           name=self._seq_layers[0].name + "_input")
            layer_input = inputs
            created_nodes = set()
            for layer in self._seq_layers:
                _clear_previously_created_nodes(layer, self._created_nodes)
                before = {id(n) for n in layer._inbound_nodes}
                try:
                    layer_output = layer(layer_input)
                except Exception:   # fall back to running the layers one after another
                    self._use_legacy_deferred_behavior = True
                    return
                created_nodes.update(id(n) for n in layer._inbound_nodes if id(n) not in before)
                if len(flatten(layer_output)) != 1:
                    raise ValueError(SINGLE_LAYER_OUTPUT_ERROR_MSG)
                layer_input = layer_output
            self._created_nodes = created_nodes
            try:
                self._init_graph_network(inputs, layer_output)
                self._graph_initialized = True
            except Exception:
                self._use_legacy_deferred_behavior = True
        self._inferred_input_shape = new_shape

    @_default
    def build(self, input_shape=None):
        if self._graph_initialized:
            self._init_graph_network(self.inputs, self.outputs)
        else:
            if input_shape is None:
                raise ValueError("You must provide an `input_shape` argument.")
            self._build_graph_network_for_inferred_shape(input_shape)
            if not self._graph_initialized:
                self._build_input_shape = tuple(input_shape)
                Model.build(self, input_shape)
        self.built = True

    def _infer_output_spec(self, inputs, args, kwargs):
        if not self._has_explicit_input_shape and isinstance(inputs, KerasTensor):
            self._build_graph_network_for_inferred_shape(inputs.shape.as_list(), inputs.dtype)
        if self._graph_initialized and not args and set(kwargs) <= {"training", "mask"}:
            return self._run_internal_graph(inputs, symbolic=True)
        return Layer._infer_output_spec(self, inputs, args, kwargs)

    def call(self, inputs, training=None, mask=None):
        if not self._has_explicit_input_shape and not self._use_legacy_deferred_behavior:
            if isinstance(inputs, _core.TensorBase):
                self._build_graph_network_for_inferred_shape(inputs._shape, inputs.dtype)
            else:
                self._use_legacy_deferred_behavior = True
        outputs = inputs
        for layer in self.layers:
            outputs = layer(outputs)
            if len(flatten(outputs)) != 1:
                raise ValueError(SINGLE_LAYER_OUTPUT_ERROR_MSG)
        return outputs

    # -- config --------------------------------------------------------------------------------
    @property
    def input_spec(self):
        if self._seq_layers and not isinstance(self._seq_layers[0], InputLayer):
            return self._seq_layers[0].input_spec
        return None

    @input_spec.setter
    def input_spec(self, value):
        pass

    def get_config(self):
        from ..layers import serialize as serialize_layer
        layers = list(self._seq_layers)
        if self._graph_initialized and (not layers or not isinstance(layers[0], InputLayer)):
            layers = [self._input_layers[0]] + layers
        config = {"name": self.name, "layers": [serialize_layer(l) for l in layers]}
        if not self._graph_initialized and self._build_input_shape is not None:
            config["build_input_shape"] = self._build_input_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize as deserialize_layer
        if "name" in config:
            name = config["name"]
            build_input_shape = config.get("build_input_shape")
            layer_configs = config["layers"]
        else:
            name, build_input_shape, layer_configs = None, None, config
        model = cls(name=name)
        for lc in layer_configs:
            model.add(deserialize_layer(lc, custom_objects=custom_objects))
        if not model.inputs and build_input_shape and isinstance(build_input_shape, (tuple, list)):
            model.build(build_input_shape)
        return model


def _source_inputs(tensor):
    """The Input KerasTensors a KerasTensor depends on."""
    h = tensor._keras_history
    node = h.node
    if node.is_input:
        return [tensor]
    out = []
    for kt in node.keras_inputs:
        for x in _source_inputs(kt):
            if not any(x is y for y in out):
                out.append(x)
    return out
