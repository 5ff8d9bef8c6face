/**
 * The last part of train.py's fixed Python (see train-py.ts): the optimizers and schedules (torch.optim, whose update rules nnc's
 * are), checkpoints as `nnc train` reads and writes them, the training loop of
 * runtime/train/fit.ts, and the command line. Python text only.
 *
 * Under torchrun `--batch-size` stays the global batch: each global batch is cut into one
 * contiguous slice per rank, and a rank's loss is its slice's mean times `world * rows /
 * batch`, so that DDP's average over ranks is the full batch's mean (exactly so for a loss that
 * is a mean over rows plus terms that do not depend on the batch, such as l2(weights); a
 * class-weighted mean divides by the global batch's weight sum, see GLOBAL_BATCH).
 */
export const loopPy = String.raw`
# ---------------------------------------------------------------------------------------------
# Optimizers and schedules: torch.optim's update rules are nnc's (compiler/optim).

def make_optimizer(config, parameters):
    o = config["optimizer"]
    kind = o["kind"]
    if kind == "sgd":
        return torch.optim.SGD(parameters, lr=o["lr"], momentum=o["momentum"], dampening=o["dampening"],
                               weight_decay=o["weightDecay"], nesterov=o["nesterov"])
    if kind == "adagrad":
        return torch.optim.Adagrad(parameters, lr=o["lr"], eps=o["eps"], weight_decay=o["weightDecay"])
    if kind == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=o["lr"], alpha=o["alpha"], eps=o["eps"],
                                   weight_decay=o["weightDecay"], momentum=o["momentum"])
    if kind == "adadelta":
        return torch.optim.Adadelta(parameters, lr=o["lr"], rho=o["rho"], eps=o["eps"],
                                    weight_decay=o["weightDecay"])
    make = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return make(parameters, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                weight_decay=o["weightDecay"])


def scheduled_lr(base, schedule, epoch):
    """runtime/train/schedule.ts: StepLR, ExponentialLR, CosineAnnealingLR's closed form."""
    if schedule is None:
        return base
    if schedule["kind"] == "step":
        return base * schedule["gamma"] ** (epoch // schedule["every"])
    if schedule["kind"] == "exponential":
        return base * schedule["gamma"] ** epoch
    return schedule["minLr"] + (base - schedule["minLr"]) * (1 + math.cos(math.pi * epoch / schedule["epochs"])) / 2


def clip_gradients(config, parameters):
    """torch.nn.utils' clip_grad_value_ then clip_grad_norm_, as nnc clips."""
    o = config["optimizer"]
    if o.get("clipGradValue") is not None:
        torch.nn.utils.clip_grad_value_(parameters, o["clipGradValue"])
    if o.get("clipGradNorm") is not None:
        torch.nn.utils.clip_grad_norm_(parameters, o["clipGradNorm"])


# ---------------------------------------------------------------------------------------------
# Checkpoints, as nnc train --init reads and --save writes them.

def load_init(module, path):
    tensors, metadata = read_safetensors(path)
    tensors = {k: v for k, v in tensors.items() if not k.startswith("training.")}
    own = module.state_dict()
    problems = [f"missing {k} {list(v.shape)}" for k, v in own.items()
                if k not in tensors and not k.endswith(".num_batches_tracked")]
    problems += [f"unexpected {k} {list(v.shape)}: the model has no such tensor"
                 for k, v in sorted(tensors.items()) if k not in own]
    problems += [f"{k}: expected {list(own[k].shape)}, found {list(v.shape)}"
                 for k, v in tensors.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    if problems:
        fail(f"{path} does not fit the model:\n" + "\n".join("  " + p for p in problems))
    module.load_state_dict({k: v.to(own[k].dtype) for k, v in tensors.items()}, strict=False)
    features = json.loads(metadata["nnc.features"]) if "nnc.features" in metadata else None
    return features


def save_checkpoint(module, path, prepared):
    metadata = {}
    normalizer = prepared["normalizer"]
    if normalizer is not None:
        metadata["nnc.normalize"] = json.dumps({
            "kind": normalizer["kind"],
            "shift": [float(v) for v in normalizer["shift"]],
            "scale": [float(v) for v in normalizer["scale"]]}, separators=(",", ":"))
    if prepared["features"] is not None:
        metadata["nnc.features"] = json.dumps(prepared["features"], separators=(",", ":"))
    state = {k: v for k, v in module.state_dict().items()}
    for k, v in state.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            fail(f"the trained weights are not all finite, so {path} was not written; try a lower learning rate or normalising the data")
    write_safetensors(path, state, metadata)


# ---------------------------------------------------------------------------------------------
# Training (runtime/train/fit.ts).

def forward(config, net, x):
    """(logits, output, values): the value before the final softmax or sigmoid, the output,
    and the forward bindings the loss reads (model.py's values=True), in one pass."""
    if config["values"]:
        logits, values = net(x, logits=True, values=True)
    else:
        logits, values = net(x, logits=True), {}
    act = config["output_activation"]
    if act == "softmax":
        return logits, torch.softmax(logits, dim=-1), values
    if act == "sigmoid":
        return logits, torch.sigmoid(logits), values
    return logits, logits, values


def measure(config, module, part, batch_size, device):
    """Loss and metrics in evaluation mode, batch by batch in row order."""
    x, y = part
    module.eval()
    sums = Sums(config)
    params = dict(module.named_parameters())
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb = torch.from_numpy(x[start:start + batch_size]).to(device)
            yb = torch.from_numpy(y[start:start + batch_size]).to(device)
            logits, output, values = forward(config, module, xb)
            loss = config["loss"](logits, output, yb, params, values)
            sums.add(config, loss, output, yb, len(xb))
    module.train()
    return metric_values(config, sums)


def train(config, args):
    if config["problem"]:
        fail(f"cannot train {config['name']} in PyTorch: {config['problem']}")
    rank, world, device = distributed_setup(args.device)
    settings = dict(config["train"])
    if args.epochs is not None:
        settings["epochs"] = args.epochs
    if args.batch_size is not None:
        settings["batch_size"] = args.batch_size
    seed = settings["seed"] if args.seed is None else args.seed
    torch.manual_seed(seed)
    module = config["module"]()
    features = load_init(module, args.init) if args.init else None
    if not args.init:
        module.load_state_dict(initial_state(config, seed), strict=False)
    prepared = prepare_data(config, args, features)
    module.to(device)
    net = module
    if world > 1:
        if device.type == "cuda":
            module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
        else:
            module = sync_batch_norms(module, dist.new_group(backend="gloo"))
        module.to(device)
        net = DDP(module, device_ids=[device.index] if device.type == "cuda" else None,
                  broadcast_buffers=False)
    parameters = [p for p in module.parameters()]
    params = dict(module.named_parameters())
    optimizer = make_optimizer(config, parameters)
    x_all, y_all = prepared["train"]
    rows = len(x_all)
    batch = settings["batch_size"]
    batches = rows // batch if settings["drop_last"] else -(-rows // batch)
    if batches == 0 and rows > 0:
        fail(f"drop_last leaves no batch: the training data has {rows} rows, fewer than batch_size {batch}")
    shuffle_rng = Random(seed, STREAM_SHUFFLE)
    stopping = settings["early_stopping"]
    best, waited, stopped_early, logs = None, 0, False, []
    module.train()
    for epoch in range(settings["epochs"]):
        started = time.perf_counter()
        lr = scheduled_lr(config["optimizer"]["lr"], settings["lr_schedule"], epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        order = list(range(rows))
        if settings["shuffle"]:
            shuffle_rng.shuffle(order)
        order = np.array(order, dtype=np.int64)
        sums = Sums(config)
        for b in range(batches):
            rows_b = order[b * batch:(b + 1) * batch]
            n = len(rows_b)
            # This rank's contiguous slice of the global batch.
            lo, hi = n * rank // world, n * (rank + 1) // world
            mine = rows_b[lo:hi]
            xb = torch.from_numpy(x_all[mine]).to(device)
            yb = torch.from_numpy(y_all[mine]).to(device)
            logits, output, values = forward(config, net, xb)
            if len(mine) > 0:
                if world > 1:
                    GLOBAL_BATCH.update(target=torch.from_numpy(y_all[rows_b]).to(device), rows=n)
                loss = config["loss"](logits, output, yb, params, values)
                GLOBAL_BATCH.update(target=None, rows=0)
                scaled = loss * (world * len(mine) / n) if world > 1 else loss
            else:
                loss = torch.zeros(())
                # a zero through the forward graph, so DDP's gradient hooks still fire
                scaled = sum([v.sum() for v in values.values()], logits.sum()) * 0.0
            optimizer.zero_grad(set_to_none=True)
            scaled.backward()
            clip_gradients(config, parameters)
            optimizer.step()
            sums.add(config, loss.detach(), output, yb, len(mine))
        if world > 1:
            sums.all_reduce()
        loss_mean, metrics = metric_values(config, sums)
        validation = None
        if prepared["validation"] is not None:
            validation = measure(config, module, prepared["validation"], batch, device)
        seconds = time.perf_counter() - started
        log = {"epoch": epoch + 1, "epochs": settings["epochs"], "loss": loss_mean, "metrics": metrics,
               "val_loss": validation[0] if validation else None,
               "val_metrics": validation[1] if validation else None,
               "seconds": seconds, "samples_per_second": float(sums.values[1]) / seconds if seconds > 0 else 0}
        logs.append(log)
        if rank == 0:
            print(epoch_line(log), flush=True)
        if not math.isfinite(loss_mean):
            if rank == 0:
                print(f"train.py: the loss became {loss_mean} in epoch {epoch + 1}; try a lower learning rate or normalising the data", file=sys.stderr)
            finish(world, 1)
        if stopping:
            value = monitored(log, stopping["monitor"])
            if math.isfinite(value) and (best is None or improves(stopping["monitor"], value, best[0], stopping["minDelta"])):
                weights = {k: v.detach().clone() for k, v in module.state_dict().items()} if stopping["restoreBest"] else None
                best, waited = (value, epoch + 1, weights), 0
            else:
                waited += 1
                if waited > stopping["patience"]:
                    stopped_early = epoch + 1 < settings["epochs"]
                    break
    if stopped_early and rank == 0:
        restored = ""
        if stopping["restoreBest"] and best is not None and best[1] != len(logs):
            restored = f"; weights of epoch {best[1]} restored"
        print(f"early stopping after epoch {len(logs)}{restored}", flush=True)
    if stopping and stopping["restoreBest"] and best is not None and best[2] is not None and best[1] != len(logs):
        module.load_state_dict(best[2])
    if prepared["test"] is not None and rank == 0:
        loss_mean, metrics = measure(config, module, prepared["test"], config["train"]["batch_size"], device)
        parts = ["test", f"loss {figure(loss_mean)}"] + [f"{k} {figure(v)}" for k, v in metrics.items()]
        print("  ".join(parts), flush=True)
    if args.save and rank == 0:
        save_checkpoint(module, args.save, prepared)
    finish(world, 0)


def fail(message):
    print(f"train.py: {message}", file=sys.stderr)
    sys.stdout.flush()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        os._exit(1)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--model", help="which model, when the file holds several: " + ", ".join(TRAINABLE))
    parser.add_argument("--epochs", type=int, help="passes over the training data")
    parser.add_argument("--batch-size", type=int, help="samples per step (the global batch under torchrun)")
    parser.add_argument("--seed", type=int, help="seed for initialisation and shuffling")
    parser.add_argument("--init", metavar="CKPT", help="start from the weights of a safetensors file")
    parser.add_argument("--save", metavar="CKPT", help="write the trained parameters to a safetensors checkpoint")
    parser.add_argument("--data", metavar="PATH", help="a CSV file (header row) or an IDX folder, instead of the data section")
    parser.add_argument("--target", help="target column(s) of a CSV: COL or COL,COL")
    parser.add_argument("--device", choices=["cpu", "cuda"],
                        help="where to train (cuda when PyTorch sees a GPU, else cpu); NCCL on cuda, gloo on cpu")
    args = parser.parse_args()
    if not TRAINABLE:
        fail("the file has no model with a loss and an optimizer, so there is nothing to train")
    if args.model is None:
        if len(TRAINABLE) > 1:
            fail(f"the file has several models; choose one with --model ({', '.join(TRAINABLE)})")
        args.model = next(iter(TRAINABLE))
    if args.model not in TRAINABLE:
        fail(f"no trainable model {args.model}; the file has {', '.join(TRAINABLE)}")
    train(TRAINABLE[args.model], args)


if __name__ == "__main__":
    main()
`;
