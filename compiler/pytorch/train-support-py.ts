/**
 * The fixed first half of train.py (see train-py.ts): nnc's random generator, weight
 * initialisers, safetensors reading and writing, and the data section (CSV and IDX reading,
 * test and validation splits, normalisation), each a port of the runtime function named in
 * its comment, so that the same seed gives the same rows in the same order as `nnc train`.
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
    for p in config["params"]:
        value = initial_tensor(p["init"], p["shape"], rng)
        if p["dtype"] == "i64":
            state[p["name"]] = torch.from_numpy(value.astype(np.int64))
        else:
            state[p["name"]] = torch.from_numpy(value)
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


# ---------------------------------------------------------------------------------------------
# Data (runtime/data): CSV and IDX sources shaped for the model, the held-out test part, the
# validation rows, and the normalisation fitted on the training rows.

def read_csv(path, shown, config, target_columns, drop, features=None):
    """runtime/data/csv.ts: every column but the targets and dropped ones is a feature, in file
    order (or, with a checkpoint's feature names, matched by name)."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except OSError as e:
        fail(f"cannot read {shown}: {e.strerror}")
    if not rows:
        fail(f"{shown} is empty: it needs a header row")
    header = [h.strip() for h in rows[0]]
    for name in list(target_columns) + list(drop):
        if name not in header:
            fail(f"{shown} has no column {name!r} (columns: {', '.join(header)})")
    if features is None:
        features = [h for h in header if h not in target_columns and h not in drop]
    else:
        missing = [h for h in features if h not in header]
        if missing:
            fail(f"{shown} lacks the feature column(s) {', '.join(missing)} the checkpoint was trained on")
    inp, tgt = config["input"], config["target"]
    width = 1
    for d in inp["shape"]:
        width *= d
    if len(features) != width:
        fail(f"{shown} has {len(features)} feature columns but input {inp['name']} takes {width} values per row")
    fcols = [header.index(h) for h in features]
    tcols = [header.index(h) for h in target_columns]

    def number(row, line, col):
        try:
            return float(row[col])
        except (ValueError, IndexError):
            fail(f"{shown}:{line}: column {header[col]!r} holds {row[col] if col < len(row) else ''!r}, not a number")

    xs, ys = [], []
    for line, row in enumerate(rows[1:], start=2):
        xs.append([number(row, line, c) for c in fcols])
        ys.append([number(row, line, c) for c in tcols])
    x = np.array(xs, dtype=np.float64).reshape([len(xs)] + list(inp["shape"]))
    y = np.array(ys, dtype=np.float64)
    x = x.astype(np.int64) if inp["dtype"] == "i32" else x.astype(np.float32)
    if tgt["dtype"] == "i32":
        y = y.reshape(-1).astype(np.int64)
    else:
        y = y.astype(np.float32).reshape([len(ys)] + list(tgt["shape"]))
    return x, y, features


def _open_maybe_gz(path):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def _idx_file(folder, name):
    for candidate in (name, name + ".gz", name.replace("-idx", ".idx"), name.replace("-idx", ".idx") + ".gz"):
        if os.path.isfile(os.path.join(folder, candidate)):
            return os.path.join(folder, candidate)
    return None


def read_idx(path):
    """An IDX file (runtime/data/idx.ts): images as byte / 255 in float32, labels as ids."""
    with _open_maybe_gz(path) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    if dims == 1:
        return values.astype(np.int64)
    return BYTE_TO_UNIT[values]


# runtime/data/idx.ts: byte k is the float32 nearest k / 255.
BYTE_TO_UNIT = (np.arange(256, dtype=np.float64) / 255).astype(np.float32)


def read_idx_folder(folder, shown):
    """mnist("dir") / fashion_mnist(): train-* files, and t10k-* as the source's test part."""
    images = _idx_file(folder, "train-images-idx3-ubyte")
    labels = _idx_file(folder, "train-labels-idx1-ubyte")
    if images is None or labels is None:
        fail(f"{shown} has no train-images-idx3-ubyte and train-labels-idx1-ubyte (optionally .gz)")
    train = (read_idx(images), read_idx(labels))
    test_images = _idx_file(folder, "t10k-images-idx3-ubyte")
    test_labels = _idx_file(folder, "t10k-labels-idx1-ubyte")
    test = None
    if test_images and test_labels:
        test = (read_idx(test_images), read_idx(test_labels))
    return train, test


def fashion_mnist_dir():
    """runtime/data/fashion-mnist.ts: $NNC_DATA(/fashion-mnist), else Debian's dataset package."""
    root = os.environ.get("NNC_DATA")
    if root:
        for folder in (os.path.join(root, "fashion-mnist"), root):
            if _idx_file(folder, "train-images-idx3-ubyte"):
                return folder
        fail(f"cannot read Fashion-MNIST: NNC_DATA is {root}, but neither {root}/fashion-mnist nor {root} holds train-images-idx3-ubyte(.gz)")
    folder = "/usr/share/datasets/fashion-mnist"
    if not _idx_file(folder, "train-images-idx3-ubyte"):
        fail("cannot read Fashion-MNIST: install Debian's package (apt-get install dataset-fashion-mnist) or set NNC_DATA to a folder holding fashion-mnist/train-images-idx3-ubyte.gz and the other published IDX files")
    return folder


def shape_images(pair, config, shown):
    """Images viewed as the input's shape; labels as ids, or one-hot rows for a float target."""
    x, y = pair
    inp, tgt = config["input"], config["target"]
    pixels = int(np.prod(x.shape[1:]))
    if int(np.prod(inp["shape"])) != pixels:
        fail(f"{shown}: the images have {pixels} values each but input {inp['name']} is {inp['shape']}")
    x = x.reshape([x.shape[0]] + list(inp["shape"]))
    if tgt["dtype"] != "i32":
        width = tgt["shape"][0]
        y = np.eye(width, dtype=np.float32)[y]
    return x, y


def load_source(config, args, features):
    """runtime/data/load.ts: (x, y, the source's own test part or None, feature columns)."""
    source = config["data"]["source"] if config["data"] else None
    if args.data is not None:
        path = os.path.abspath(args.data)
        target = args.target.split(",") if args.target else None
        if os.path.isdir(path):
            source = {"kind": "mnist", "dir": path}
        else:
            source = {"kind": "csv", "path": path, "target": target, "drop": []}
    if source is None:
        fail(f"model {config['name']} has no data section; pass --data PATH (a CSV file or an IDX folder)")
    kind = source["kind"]
    if kind == "csv":
        shown = source["path"]
        path = os.path.join(SOURCE_DIR, source["path"])
        targets = source["target"] or [config["target"]["name"]]
        x, y, columns = read_csv(path, shown, config, targets, source["drop"], features)
        return x, y, None, columns
    if kind == "idx":
        pair = (read_idx(os.path.join(SOURCE_DIR, source["images"])),
                read_idx(os.path.join(SOURCE_DIR, source["labels"])))
        x, y = shape_images(pair, config, source["images"])
        return x, y, None, None
    if kind == "mnist" and source["dir"] is None:
        # nnc build --emit pytorch writes the digits shipped with nnc here, as IDX files.
        folder = os.path.join(HERE, "mnist")
        if not _idx_file(folder, "train-images-idx3-ubyte"):
            fail(f"mnist(): {folder} lacks the shipped digits that nnc build --emit pytorch writes there; "
                 "build again, or pass --data DIR, a folder with MNIST's IDX files")
    elif kind == "mnist":
        folder = os.path.join(SOURCE_DIR, source["dir"])
    else:
        folder = fashion_mnist_dir() if source["dir"] is None else os.path.join(SOURCE_DIR, source["dir"])
    train, test = read_idx_folder(folder, source["dir"] or folder)
    x, y = shape_images(train, config, folder)
    test = None if test is None else shape_images(test, config, folder)
    return x, y, test, None


def split_test(x, y, test, seed):
    """runtime/data/dataset.ts splitTest: scikit-learn's sizes, nnc's split stream."""
    rows = len(x)
    test_rows = math.ceil(test * rows)
    if test_rows <= 0 or test_rows >= rows:
        fail(f"the data has {rows} rows: too few to hold out {test * 100:g}% as a test set and train on the rest")
    order = list(range(rows))
    Random(seed, STREAM_SPLIT).shuffle(order)
    order = np.array(order, dtype=np.int64)
    return (x[order[test_rows:]], y[order[test_rows:]]), (x[order[:test_rows]], y[order[:test_rows]])


def split_validation(x, y, fraction):
    """Keras's validation_split: the last rows, before any shuffling."""
    if fraction <= 0:
        return (x, y), None
    rows = len(x)
    at = math.floor(rows * (1 - fraction))
    if at <= 0 or at >= rows:
        fail(f"the training data has {rows} rows: too few to hold out {fraction * 100:g}% for validation (validation_split) and train on the rest")
    return (x[:at], y[:at]), (x[at:], y[at:])


def fit_normalizer(x, kind):
    """runtime/data/dataset.ts fitNormalizer: per feature (last axis), float64 sums in row
    order (cumsum, not numpy's pairwise sum), stored as float32."""
    if kind == "none":
        return None
    features = x.shape[-1] if x.ndim >= 2 else 1
    flat = x.reshape(-1, features).astype(np.float64)
    count = flat.shape[0]
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    if kind == "minmax":
        rng = hi - lo
        return {"kind": kind, "shift": lo.astype(np.float32),
                "scale": np.where(rng > 0, rng, 1).astype(np.float32)}
    mean = np.cumsum(flat, axis=0)[-1] / count
    squares = np.cumsum((flat - mean) ** 2, axis=0)[-1]
    constant = ~(hi > lo)
    std = np.sqrt(squares / count)
    shift = np.where(constant, lo, mean).astype(np.float32)
    scale = np.where(constant | ~(std > 0), 1, std).astype(np.float32)
    return {"kind": kind, "shift": shift, "scale": scale}


def apply_normalizer(x, normalizer):
    if normalizer is None:
        return x
    shift = normalizer["shift"].astype(np.float64)
    scale = normalizer["scale"].astype(np.float64)
    return ((x.astype(np.float64) - shift) / scale).astype(np.float32)


def prepare_data(config, args, features):
    """runtime/train/prepare.ts: the source's test part or a held-out one, validation rows from
    the end, then normalisation with statistics of the training rows alone."""
    x, y, test, columns = load_source(config, args, features)
    split = config["data"]["split"] if config["data"] else None
    if test is None and split is not None:
        (x, y), test = split_test(x, y, split["test"], split["seed"])
    (x, y), validation = split_validation(x, y, config["train"]["validation_split"])
    kind = "none" if config["input"]["dtype"] == "i32" else (config["data"] or {}).get("normalize", "none")
    normalizer = fit_normalizer(x, kind)
    part = lambda p: None if p is None else (apply_normalizer(p[0], normalizer), p[1])
    return {"train": part((x, y)), "validation": part(validation), "test": part(test),
            "normalizer": normalizer, "features": columns}
`;
