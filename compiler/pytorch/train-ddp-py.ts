/**
 * A part of train.py's fixed Python (see train-py.ts): DistributedDataParallel under torchrun.
 * The process group (gloo on CPUs, NCCL on GPUs), batch norm whose batch statistics are those
 * of the global batch (a small all-reduce module on gloo, where PyTorch 1.13's SyncBatchNorm
 * refuses CPU tensors; SyncBatchNorm on CUDA), and an exit that does not hang: Debian's
 * torchrun 1.13 may wait forever after destroy_process_group, so every rank passes a barrier
 * and leaves with os._exit. Python text only.
 */
export const ddpPy = String.raw`
# ---------------------------------------------------------------------------------------------
# Distributed training under torchrun.

class _AllReduceSum(torch.autograd.Function):
    """A sum over ranks that gradients flow through (their sum over ranks, too)."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        y = x.clone()
        dist.all_reduce(y, group=group)
        return y

    @staticmethod
    def backward(ctx, grad):
        g = grad.clone()
        dist.all_reduce(g, group=ctx.group)
        return g, None


class AllReduceBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm whose batch statistics are those of the global batch: per-channel sums
    (then squared deviations) summed over ranks. SyncBatchNorm does this on CUDA only."""

    group = None

    def _check_input_dim(self, x):
        pass

    def forward(self, x):
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        dims = [0] + list(range(2, x.dim()))
        view = [1, -1] + [1] * (x.dim() - 2)
        local = torch.cat([x.sum(dims), x.new_tensor([x.numel() / max(x.shape[1], 1)])])
        total = _AllReduceSum.apply(local, self.group)
        n = total[-1].detach()
        mean = total[:-1] / n
        centred = x - mean.view(view)
        var = _AllReduceSum.apply((centred * centred).sum(dims), self.group) / n
        y = centred / torch.sqrt(var + self.eps).view(view)
        if self.affine:
            y = y * self.weight.view(view) + self.bias.view(view)
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(mean.detach() * m)
            self.running_var.mul_(1 - m).add_(var.detach() * (n / (n - 1)) * m)
            self.num_batches_tracked.add_(1)
        return y


def sync_batch_norms(module, group):
    """Replaces every BatchNorm1d/2d by AllReduceBatchNorm, state and names kept."""
    AllReduceBatchNorm.group = group
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            sync = AllReduceBatchNorm(child.num_features, child.eps, child.momentum, child.affine,
                                      child.track_running_stats)
            sync.load_state_dict(child.state_dict())
            setattr(module, name, sync)
        else:
            sync_batch_norms(child, group)
    return module


def distributed_setup(requested):
    """(rank, world size, device); the process group started when torchrun runs several.
    CUDA when asked, or by default when there is a GPU; TF32 off, as nnc computes in float32."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if requested == "cuda" and not torch.cuda.is_available():
        fail("--device cuda: this PyTorch sees no GPU")
    cuda = requested == "cuda" or (requested is None and torch.cuda.is_available())
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    if world > 1:
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if cuda else "gloo")
        rank = dist.get_rank()
    else:
        rank = 0
    device = torch.device("cuda", torch.cuda.current_device()) if cuda else torch.device("cpu")
    return rank, world, device


def finish(world, code=0):
    """torchrun 1.13 may hang after destroy_process_group: a barrier, then every rank exits."""
    sys.stdout.flush()
    sys.stderr.flush()
    if world > 1:
        dist.barrier()
        os._exit(code)
    sys.exit(code)

`;
