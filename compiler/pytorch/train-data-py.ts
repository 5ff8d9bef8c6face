/**
 * A part of train.py's fixed Python (see train-py.ts): the data section as runtime/data and
 * runtime/train/prepare.ts do it (CSV and IDX reading, the held-out test part, validation rows,
 * normalisation fitted on the training rows), each function a port of the one its comment
 * names, so that train.py trains on the rows `nnc train` trains on. Python text only.
 */
export const dataPy = String.raw`
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
