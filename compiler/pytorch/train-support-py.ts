/**
 * A part of train.py's fixed Python (see train-py.ts): nnc's random generator and weight
 * initialisers, ported from runtime/random.ts and runtime/init.ts so that the same seed gives
 * the same initial weights and row orders as `nnc train`, and safetensors reading and writing.
 * Python text only: it uses torch, numpy and the standard library.
 */
export const supportPy = String.raw`
# ---------------------------------------------------------------------------------------------
# nnc's random generator (runtime/random.ts): xoshiro128** seeded through splitmix32, one
# stream per purpose, ported bit for bit so that shuffles and initial weights are nnc's.

M32 = 0xFFFFFFFF
STREAM_INIT, STREAM_SHUFFLE, STREAM_DROPOUT, STREAM_SPLIT = 0, 1, 2, 3


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Random:
    def __init__(self, seed, stream=0):
        x = (int(seed) ^ ((stream + 1) * 0x9E3779B9)) & M32
        words = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            words.append((z ^ (z >> 16)) & M32)
        self.s = words
        if not any(words):
            self.s[0] = 1
        self.spare = None

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        high = self.next_uint32() >> 5
        low = self.next_uint32() >> 6
        return (high * 67108864 + low) / 9007199254740992

    def below(self, n):
        limit = 0x100000000 - (0x100000000 % n)
        while True:
            r = self.next_uint32()
            if r < limit:
                return r % n

    def normal(self):
        if self.spare is not None:
            spare, self.spare = self.spare, None
            return spare
        u = 0.0
        while u == 0.0:
            u = self.uniform()
        v = self.uniform()
        radius = math.sqrt(-2 * math.log(u))
        self.spare = radius * math.sin(2 * math.pi * v)
        return radius * math.cos(2 * math.pi * v)

    def shuffle(self, order):
        """Fisher-Yates in place, as nnc's Random.shuffle."""
        for i in range(len(order) - 1, 0, -1):
            j = self.below(i + 1)
            order[i], order[j] = order[j], order[i]


def initial_tensor(init, shape, rng):
    """runtime/init.ts: PyTorch's fan rules, values drawn in float64, stored as float32."""
    if len(shape) < 2:
        fan_in = fan_out = shape[0] if shape else 1
    else:
        receptive = 1
        for d in shape[2:]:
            receptive *= d
        fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    size = 1
    for d in shape:
        size *= d
    kind = init["kind"]
    if kind in ("zeros", "ones"):
        values = [0.0 if kind == "zeros" else 1.0] * size
    elif kind in ("xavier", "he_uniform", "uniform"):
        limit = {
            "xavier": lambda: math.sqrt(6 / (fan_in + fan_out)),
            "he_uniform": lambda: math.sqrt(6 / fan_in),
            "uniform": lambda: init["limit"],
        }[kind]()
        values = [(rng.uniform() * 2 - 1) * limit for _ in range(size)]
    else:
        std = {
            "xavier_normal": lambda: math.sqrt(2 / (fan_in + fan_out)),
            "he": lambda: math.sqrt(2 / fan_in),
            "lecun": lambda: math.sqrt(1 / fan_in),
            "normal": lambda: init["std"],
        }[kind]()
        values = [rng.normal() * std for _ in range(size)]
    return np.array(values, dtype=np.float64).astype(np.float32).reshape(shape)


def initial_state(config, seed):
    """Every parameter and buffer of the model as nnc initialises them from seed."""
    rng = Random(seed, STREAM_INIT)
    state = {}
    for name, shape, dtype, init in config["params"]:
        value = initial_tensor(init, shape, rng)
        state[name] = torch.from_numpy(value.astype(np.int64) if dtype == "i64" else value)
    return state


# ---------------------------------------------------------------------------------------------
# safetensors (runtime/io/safetensors.ts) in a few lines: an 8-byte little-endian header
# length, a JSON header, then the raw little-endian tensors.

DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}


def read_safetensors(path):
    """(tensors by name, metadata dict); BF16 is widened to float32."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        fail(f"{path} is not a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size].decode("utf-8"))
    body = data[8 + size:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = body[begin:end]
        if info["dtype"] == "BF16":
            array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] in DTYPES:
            array = np.frombuffer(raw, dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        else:
            fail(f"{path}: tensor {name} has dtype {info['dtype']}, which train.py cannot read")
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """As nnc writes them: names sorted, __metadata__ first, the header padded to 8 bytes."""
    header = {"__metadata__": dict(sorted(metadata.items()))} if metadata else {}
    chunks, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu()
        dtype = "I64" if t.dtype == torch.int64 else "F32"
        raw = t.numpy().astype("<i8" if dtype == "I64" else "<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    os.replace(tmp, path)
`;
