"""One step-wise training engine for pretraining and fine-tuning.

The engine knows nothing about the task: a `TrainTask` serves deterministic micro-batches and turns a
model output into summed losses and metrics. Every loss is normalised by its count over the *whole*
optimizer step (all micro-batches, all ranks), so gradient accumulation and DDP give exactly the
gradient of one big batch. Randomness is a pure function of (seed, step, rank), so a run stopped at
step N and resumed from its checkpoint continues exactly as if it had never stopped.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

import torch
from torch import Tensor, nn

from ..batching import eval_mode, to_device
from ..checkpoint import RunDirectory, Saveable
from ..device import autocast, pick_device, resolve_precision
from ..distributed import DistInfo, all_reduce_sum, init_distributed
from ..model import BertPreTrainedModel
from .arguments import Batch, TrainingArguments, TrainingDiverged, TrainTask, decay_groups

__all__ = ["EVENTS", "Trainer"]

EVENTS = ("on_step_end", "on_evaluate", "on_save", "on_train_end")


class Trainer:
    """Drives a model through a task, one optimizer step at a time.

    Use `for metrics in trainer: ...` (or `trainer.step()`, or `trainer.train()`); register observers
    with `add_callback(event, fn)` for events `on_step_end(trainer, metrics)`, `on_evaluate(trainer,
    metrics)`, `on_save(trainer, path)` and `on_train_end(trainer, status)`. Setting `stop_event` ends
    the loop after the current step, with a checkpoint when a run directory is given.
    """

    def __init__(
        self,
        model: BertPreTrainedModel,
        task: TrainTask,
        args: TrainingArguments,
        *,
        run_dir: RunDirectory | None = None,
        tokenizer: Saveable | None = None,
        stop_event: threading.Event | None = None,
        dist_info: DistInfo | None = None,
    ) -> None:
        self.args = args
        self.device = pick_device(args.device)
        self.precision = resolve_precision(args.precision, self.device)
        self.dist = dist_info or init_distributed(self.device.type)
        if self.device.type == "cuda" and self.dist.enabled:
            self.device = torch.device("cuda", self.dist.local_rank)
        self.model = model.to(self.device)
        self.task, self.run_dir, self.tokenizer = task, run_dir, tokenizer
        self.stop_event = stop_event or threading.Event()
        self.optimizer = torch.optim.AdamW(
            decay_groups(self.model, args.weight_decay),
            lr=args.learning_rate,
            betas=(args.adam_beta1, args.adam_beta2),
            eps=args.adam_epsilon,
            # One fused kernel instead of ~8 small ops per parameter tensor (measured 1.7x on a busy CPU).
            fused=self.device.type in ("cpu", "cuda"),
        )
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.precision == "fp16")
        self._wrapped: nn.Module = self.model
        self._ddp: nn.parallel.DistributedDataParallel | None = None  # set exactly when self.dist.enabled
        if self.dist.enabled:
            ids = [self.dist.local_rank] if self.device.type == "cuda" else None
            self._wrapped = self._ddp = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        if args.compile:
            compiled = torch.compile(self._wrapped)
            assert isinstance(compiled, nn.Module)  # an OptimizedModule; typed as a plain callable
            self._wrapped = compiled
        encoder = getattr(self.model, "bert", None)
        self._encoder_params = list(encoder.parameters()) if encoder is not None else []
        self.global_step = 0
        self.status = "ready"
        self.last_eval: dict[str, float] = {}
        self.last_eval_time = 0.0  # seconds the last evaluation took
        self._callbacks: dict[str, list[Callable[..., None]]] = defaultdict(list)
        self._started = time.perf_counter()

    # ---------------------------------------------------------------- public API
    def add_callback(self, event: str, fn: Callable[..., None]) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; events are {EVENTS}")
        self._callbacks[event].append(fn)

    @property
    def done(self) -> bool:
        return self.global_step >= self.args.max_steps

    def step(self) -> dict[str, float]:
        """Run one optimizer step and return its metrics.

        Raises:
            TrainingDiverged: the loss is NaN/inf or above `max_loss` (the step is not applied).
        """
        args, step = self.args, self.global_step
        torch.manual_seed(args.seed * 1_000_003 + step * 101 + self.dist.rank)  # dropout; exact on resume
        started = time.perf_counter()
        micro = [
            self.task.batch(step * args.gradient_accumulation_steps + i, self.dist.rank, self.dist.world_size)
            for i in range(args.gradient_accumulation_steps)
        ]
        totals = self._global_counts(micro)
        sums: dict[str, Tensor] = {}
        self._wrapped.train()
        for i, batch in enumerate(micro):
            batch = to_device(batch, self.device, non_blocking=True)
            last = i == len(micro) - 1
            sync = self._ddp.no_sync() if self._ddp is not None and not last else contextlib.nullcontext()
            with sync:
                with autocast(self.precision, self.device):
                    out = self.task.forward(self._wrapped, batch)
                # DDP averages gradients over ranks: multiply by world_size to keep a global sum / global count.
                objective = sum(v / max(totals[k.split("_")[0]], 1.0) for k, v in out.items() if k.endswith("_loss"))
                assert isinstance(objective, Tensor), "the task returned no *_loss"
                # With gradient clipping a far too high learning rate rarely reaches NaN in fp32: the
                # loss explodes to thousands instead. A cross-entropy that far above chance is divergence too.
                value = objective.detach()
                if not torch.isfinite(value) or (args.max_loss > 0 and float(value) > args.max_loss):
                    self.optimizer.zero_grad(set_to_none=True)
                    self.status = "diverged"
                    raise TrainingDiverged(
                        f"loss became {value.item():.4g} at step {step + 1}; "
                        "lower the learning rate (the last checkpoint is kept)"
                    )
                self.scaler.scale(objective * self.dist.world_size).backward()
            for key, value in out.items():
                sums[key] = sums.get(key, 0.0) + value.detach().float()
        if step < args.freeze_encoder_steps:
            # No gradient → AdamW skips the parameter entirely (no update, no weight decay).
            for param in self._encoder_params:
                param.grad = None
        self.scaler.unscale_(self.optimizer)
        grad_norm = (
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), args.max_grad_norm)
            if args.max_grad_norm > 0
            else _grad_norm(self.model)
        )
        lr = args.learning_rate * args.lr_factor(step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.global_step += 1
        metrics = self._reduce_metrics(sums, totals)
        elapsed = time.perf_counter() - started
        metrics.update(
            step=self.global_step,
            lr=lr,
            grad_norm=float(grad_norm),
            step_time=elapsed,
            tokens_per_s=totals.get("tokens", 0.0) / max(elapsed, 1e-9),
            elapsed=time.perf_counter() - self._started,
        )
        if self.run_dir is not None and self.dist.is_main:
            self.run_dir.append_metrics(metrics)
        self._emit("on_step_end", metrics)
        if args.eval_every and self.global_step % args.eval_every == 0 and not self.done:
            self.evaluate()
        if args.save_every and self.global_step % args.save_every == 0 and not self.done:
            self.save()
        return metrics

    def __iter__(self) -> Iterator[dict[str, float]]:
        """Yield each step's metrics until max_steps or a stop; then evaluate and save (also after a stop)."""
        self.status = "running"
        try:
            while not self.done and not self.stop_event.is_set():
                yield self.step()
        except BaseException:
            if self.status != "diverged":
                self.status = "failed"
            self._emit("on_train_end", self.status)
            raise
        self.status = "finished" if self.done else "stopped"
        if self.global_step > 0:
            self.evaluate()
        self.save()
        self._emit("on_train_end", self.status)

    def train(self) -> dict[str, float]:
        """Run to the end (or a stop) and return the last step's metrics."""
        last: dict[str, float] = {}
        for metrics in self:
            last = metrics
        return last

    def evaluate(self) -> dict[str, float]:
        """Run the task's held-out evaluation in eval mode."""
        started = time.perf_counter()
        with eval_mode(self.model), torch.inference_mode(), autocast(self.precision, self.device):
            metrics = self.task.evaluate(self.model)
        self.last_eval_time = time.perf_counter() - started  # observers estimate the time left from it
        if metrics:
            self.last_eval = dict(metrics, step=self.global_step)
            if self.run_dir is not None and self.dist.is_main:
                self.run_dir.append_metrics({"eval": self.last_eval, "step": self.global_step})
            self._emit("on_evaluate", self.last_eval)
        return metrics

    def save(self) -> None:
        """Checkpoint into the run directory (rank 0 only; a no-op without a run directory)."""
        if self.run_dir is None or not self.dist.is_main or self.global_step == 0:
            return
        state = {"args": asdict(self.args), "status": self.status, "last_eval": self.last_eval}
        path = self.run_dir.save_checkpoint(
            self.global_step, self.model, self.tokenizer, state, self.optimizer.state_dict()
        )
        self._emit("on_save", path)

    def resume(self, checkpoint: str | None = None) -> int:
        """Continue from a checkpoint (default: the run directory's latest); returns its step.

        The model weights must already be loaded from that checkpoint (`from_pretrained(run_dir)`).

        Raises:
            FileNotFoundError: when there is nothing to resume from.
        """
        path = checkpoint or (self.run_dir.latest_checkpoint() if self.run_dir else None)
        if path is None:
            raise FileNotFoundError("no checkpoint to resume from")
        state, optimizer_state = RunDirectory.load_trainer_state(path)
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
        self.global_step = int(state["step"])
        self.last_eval = state.get("last_eval", {})
        if self.run_dir is not None and self.dist.is_main:
            self.run_dir.truncate_metrics(self.global_step)
        return self.global_step

    # ---------------------------------------------------------------- helpers
    def _global_counts(self, micro: list[Batch]) -> dict[str, float]:
        keys = sorted({k for b in micro for k in self.task.counts(b)})
        local = torch.tensor(
            [sum(self.task.counts(b).get(k, 0.0) for b in micro) for k in keys],
            dtype=torch.float64,
            device=self.device if self.dist.enabled else "cpu",
        )
        return dict(zip(keys, all_reduce_sum(local, self.dist).tolist()))

    def _reduce_metrics(self, sums: dict[str, Tensor], totals: dict[str, float]) -> dict[str, float]:
        keys = sorted(sums)
        if not keys:
            return {}
        stacked = torch.stack([sums[k].reshape(()) for k in keys]).double()
        values = all_reduce_sum(stacked.to(self.device) if self.dist.enabled else stacked.cpu(), self.dist).tolist()
        metrics = {k: v / max(totals.get(k.split("_")[0], 1.0), 1.0) for k, v in zip(keys, values)}
        metrics["loss"] = sum(v for k, v in metrics.items() if k.endswith("_loss"))
        return metrics

    def _emit(self, event: str, payload: Any) -> None:
        for fn in self._callbacks[event]:
            fn(self, payload)


def _grad_norm(model: nn.Module) -> Tensor:
    norms = [p.grad.detach().norm() for p in model.parameters() if p.grad is not None]
    return torch.stack(norms).norm() if norms else torch.zeros(())
