"""Constrained multiple-instance loss on class sizes (FCNs in the Wild, category adaptation).

Hoffman, Wang, Yu, Darrell, "FCNs in the Wild: Pixel-level Adversarial and Constraint-based
Adaptation", 2016, Sec. 3.2, with the constrained-CNN optimisation of Pathak, Krähenbühl,
Darrell, "Constrained Convolutional Neural Networks for Weakly Supervised Segmentation",
ICCV 2015 (code: github.com/pathak22/ccnn, ``src/python_layers.py`` ``WeakLoss`` and
``lib/constraintloss/constraintsoftmax.cpp``).

Image-level labels come from the prediction itself (Hoffman et al.): with p = argmax_c P the
predicted label map, d_c is the fraction of the image's pixels with p = c, and class c is present
when d_c > 0.1·α_c. As in the constrained CNN, the latent distribution puts no mass on the classes
that are not present (``addZeroConstraint(~L)``: Q_ic = 0), and for the present classes c it is
the Q closest to the prediction P (softmax of the logits) under the class-size bounds

    min_Q  mean_i KL(Q_i ‖ P_i) + β Σ_c ξ_c
    s.t.   mean_i Q_ic ≥ δ_c − ξ_c,  ξ_c ≥ 0      (lower bound, slack)
           mean_i Q_ic ≤ γ_c                       (upper bound, hard)

which has the form Q_ic ∝ P_ic · exp(λ⁻_c − λ⁺_c) in the dual variables λ⁻ ∈ [0, β] (lower
bounds; the box is the slack) and λ⁺ ≥ 0 (upper bounds). The dual objective

    g(λ) = −mean_i log Σ_c P_ic exp(λ⁻_c − λ⁺_c) + Σ_c (λ⁻_c δ_c − λ⁺_c γ_c)

(the sum over the classes that are not suppressed) is concave with gradient
∂g/∂λ⁻_c = δ_c − mean_i Q_ic, ∂g/∂λ⁺_c = mean_i Q_ic − γ_c; it is maximised by projected
gradient ascent, vectorised over the batch. The loss is KL(Q ‖ P) towards the detached Q (the
value the constrained CNN reports: 0 when P already satisfies the constraints), whose gradient
on the logits is P − Q.
"""
import logging
from dataclasses import dataclass, replace
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from mmseg.registry import MODELS


@dataclass
class LatentSolution:
    """Result of :func:`solve_latent_distribution`.

    Attributes:
        log_q (Tensor): log Q, (N, C, H, W); −inf for suppressed classes.
        lambda_lower (Tensor): Dual variables of the lower bounds, (N, C), in [0, β].
        lambda_upper (Tensor): Dual variables of the upper bounds, (N, C), ≥ 0.
        fractions (Tensor): mean_i Q_ic over the valid pixels, (N, C).
        num_iters (int): Ascent steps taken.
        residual (float): Largest projected-gradient component at the solution (0 at the
            optimum), a class fraction.
        converged (bool): Whether ``residual`` reached the tolerance.
    """

    log_q: torch.Tensor
    lambda_lower: torch.Tensor
    lambda_upper: torch.Tensor
    fractions: torch.Tensor
    num_iters: int
    residual: float
    converged: bool


@dataclass
class ConstrainedMILResult:
    """Result of :func:`constrained_mil`.

    Attributes:
        loss (Tensor): Scalar loss, mean_i KL(Q_i ‖ P_i) over the valid pixels of the batch.
        present (Tensor): Bool (N, C): the image-level labels (classes present on the argmax map).
        solution (LatentSolution): The latent distribution and the solver's state.
    """

    loss: torch.Tensor
    present: torch.Tensor
    solution: LatentSolution


def _pixel_weights(shape: Tuple[int, ...], mask: Optional[torch.Tensor],
                   device: torch.device) -> torch.Tensor:
    """Weights (N, 1, H, W) averaging over each image's valid pixels (0 on masked ones)."""
    n, _, h, w = shape
    if mask is None:
        return torch.full((n, 1, h, w), 1.0 / (h * w), device=device)
    if mask.shape != (n, h, w):
        raise ValueError(f'mask must have shape {(n, h, w)} (N, H, W of the logits), got '
                         f'{tuple(mask.shape)}')
    valid = mask.to(device=device, dtype=torch.float32).unsqueeze(1)
    return valid / valid.sum(dim=(2, 3), keepdim=True).clamp_min(1.0)


def _latent(log_p: torch.Tensor, lam_lower: torch.Tensor, lam_upper: torch.Tensor,
            zero: torch.Tensor,
            weights: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """log Q, Q and the per-image class fractions of Q for the given dual variables."""
    theta = (lam_lower - lam_upper).masked_fill(zero, float('-inf'))[:, :, None, None]
    log_q = torch.log_softmax(log_p + theta, dim=1)
    q = log_q.exp()
    return log_q, q, (q * weights).sum(dim=(2, 3))


def solve_latent_distribution(log_p: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor,
                              constrained: torch.Tensor, mask: Optional[torch.Tensor] = None,
                              slack_weight: float = 2.0, num_iters: int = 100,
                              step_size: float = 0.5, max_step: float = 1.0,
                              tol: float = 1e-4,
                              zero: Optional[torch.Tensor] = None) -> LatentSolution:
    """The Q closest in KL to P under class-size bounds, by projected dual ascent.

    Pathak et al., ICCV 2015, Sec. 3.1-3.2 (see the module docstring for the problem and its
    dual). Classes in ``zero`` get Q = 0 and the problem is solved over the others, as
    ``ConstraintSoftmax::computeLog`` of the constrained CNN projects out its zero-constrained
    dimensions. Each step moves every dual variable along its gradient scaled by the inverse
    diagonal curvature v_c = mean_i Q_ic (1 − Q_ic) (a diagonally preconditioned projected
    gradient ascent, so small classes converge as fast as large ones), limits the move to
    ``max_step``, and projects onto λ⁻ ∈ [0, β], λ⁺ ≥ 0. It stops when the projected-gradient
    residual max |Π(λ + ∇g) − λ| is at most ``tol`` or after ``num_iters`` steps (the
    constrained CNN's own solver, a backtracking projected gradient descent of up to 3000 steps,
    prints a warning when it stops without converging; here ``converged`` says so). The problem
    is never infeasible: lower bounds are softened by the bounded λ⁻, and upper bounds that
    cannot all hold only make λ⁺ grow, Q staying a normalised distribution (log space).

    Args:
        log_p (Tensor): log P, (N, C, H, W) (log-softmax of the logits, no gradient needed).
        lower (Tensor): Lower bounds δ, (C,) or (N, C).
        upper (Tensor): Upper bounds γ, (C,) or (N, C).
        constrained (Tensor): Bool (N, C): which classes of each image are constrained.
        mask (Tensor, optional): Bool (N, H, W), False on pixels excluded from the means.
        slack_weight (float): β, the linear penalty of a lower-bound violation.
        num_iters (int): Maximum number of ascent steps.
        step_size (float): Step on the preconditioned gradient; 0.5 is safe because the
            preconditioned curvature of a categorical distribution is at most 2.
        max_step (float): Largest change of a dual variable per step.
        tol (float): Convergence tolerance on the projected gradient (a class fraction).
        zero (Tensor, optional): Bool (N, C): classes of each image whose Q is 0 (suppressed);
            they must not be constrained, and every image needs a class that is not suppressed.
            In an image with a single class left, Q is that class and its bounds are ignored.

    Returns:
        LatentSolution: Q (as log Q), the dual variables and the solver's state.
    """
    if log_p.dim() != 4:
        raise ValueError(f'log_p must be (N, C, H, W), got shape {tuple(log_p.shape)}')
    if slack_weight < 0:
        raise ValueError(f'slack_weight must be >= 0, got {slack_weight}')
    if num_iters < 0 or step_size <= 0 or max_step <= 0:
        raise ValueError(f'need num_iters >= 0, step_size > 0 and max_step > 0, got '
                         f'{num_iters}, {step_size}, {max_step}')
    n, c = log_p.shape[:2]
    device = log_p.device
    log_p = log_p.detach().float()
    weights = _pixel_weights(tuple(log_p.shape), mask, device)
    constrained = constrained.to(device=device, dtype=torch.bool).expand(n, c)
    zero = (torch.zeros(n, c, dtype=torch.bool, device=device) if zero is None else
            zero.to(device=device, dtype=torch.bool).expand(n, c))
    if (zero & constrained).any():
        image, cls = (int(i) for i in (zero & constrained).nonzero()[0])
        raise ValueError(f'class {cls} of image {image} is both suppressed (zero) and '
                         'constrained')
    if zero.all(dim=1).any():
        image = int(zero.all(dim=1).nonzero()[0])
        raise ValueError(f'every class of image {image} is suppressed (zero): Q would not be a '
                         'distribution')
    # An image left with one class that is not suppressed has Q = that class whatever the dual
    # variables; its bounds cannot move Q and are dropped (the constrained CNN returns at once
    # when at most one dimension remains).
    on = (constrained & ((~zero).sum(dim=1, keepdim=True) > 1)).float()
    lower = lower.to(log_p).expand(n, c)
    upper = upper.to(log_p).expand(n, c)
    lam_lower = torch.zeros(n, c, device=device)
    lam_upper = torch.zeros(n, c, device=device)
    residual = float('inf')
    steps = 0
    while True:
        log_q, q, frac = _latent(log_p, lam_lower, lam_upper, zero, weights)
        grad_lower = (lower - frac) * on
        grad_upper = (frac - upper) * on
        residual = max(
            ((lam_lower + grad_lower).clamp(0.0, slack_weight) - lam_lower).abs().max().item(),
            ((lam_upper + grad_upper).clamp_min(0.0) - lam_upper).abs().max().item())
        if residual <= tol or steps == num_iters:
            break
        curvature = (q * (1.0 - q) * weights).sum(dim=(2, 3)).clamp_min(1e-6)
        scale = step_size / curvature
        lam_lower = (lam_lower + (scale * grad_lower).clamp(-max_step, max_step)).clamp(
            0.0, slack_weight)
        lam_upper = (lam_upper + (scale * grad_upper).clamp(-max_step, max_step)).clamp_min(0.0)
        steps += 1
    return LatentSolution(log_q, lam_lower, lam_upper, frac, steps, residual, residual <= tol)


def class_presence(log_p: torch.Tensor, alpha: torch.Tensor, weights: torch.Tensor,
                   present_threshold: float) -> torch.Tensor:
    """Image-level labels from the argmax map: d_c > ``present_threshold``·α_c.

    Hoffman et al. 2016, Sec. 3.2: "p = argmax φ(θ, I_T) ... d_c = 1/(H·W) Σ (p_hw = c) ...
    assign an image-level label to class c if d_c > 0.1·α_c", d_c over the valid pixels here.

    Args:
        log_p (Tensor): (Log-)probabilities or logits (N, C, H, W); only their argmax is used.
        alpha (Tensor): α_c, (C,).
        weights (Tensor): Pixel weights (N, 1, H, W) summing to 1 over each image's valid
            pixels (0 elsewhere).
        present_threshold (float): Threshold relative to α_c.

    Returns:
        Tensor: Bool (N, C).
    """
    n, c = log_p.shape[:2]
    pred = log_p.argmax(dim=1).flatten(1)
    fractions = torch.zeros(n, c, device=log_p.device).scatter_add_(1, pred, weights.flatten(1))
    return fractions > present_threshold * alpha.to(fractions)


class _ScaleClassGradients(torch.autograd.Function):
    """Identity whose backward multiplies each class channel's gradient by a factor."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(scale)
        return logits.view_as(logits)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> Tuple[torch.Tensor, None]:
        (scale, ) = ctx.saved_tensors
        return grad * scale.to(grad.dtype)[None, :, None, None], None


def scale_class_gradients(logits: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``logits`` unchanged, with the gradient of class channel c multiplied by ``scale[c]``."""
    return _ScaleClassGradients.apply(logits, scale)


def _check_class_vector(name: str, value: torch.Tensor, num_classes: int) -> None:
    if value.shape != (num_classes, ):
        raise ValueError(f'{name} must have shape ({num_classes},) (one value per class of the '
                         f'logits), got {tuple(value.shape)}')


def constrained_mil(logits: torch.Tensor, alpha: torch.Tensor, delta: torch.Tensor,
                    gamma: torch.Tensor, mask: Optional[torch.Tensor] = None,
                    present_threshold: float = 0.1, suppress_absent: bool = True,
                    large_class_threshold: float = 0.1, large_class_grad_scale: float = 0.1,
                    slack_weight: float = 2.0, num_iters: int = 100, step_size: float = 0.5,
                    max_step: float = 1.0, tol: float = 1e-4) -> ConstrainedMILResult:
    """Constrained MIL loss of target logits under source class-size statistics.

    Hoffman et al., "FCNs in the Wild", 2016, Sec. 3.2: class c of an image is present when the
    fraction d_c of its valid pixels whose argmax is c exceeds ``present_threshold``·α_c
    (:func:`class_presence`). Present classes are constrained to δ_c ≤ mean_i Q_ic ≤ γ_c (slack
    on the lower bound); with ``suppress_absent`` the other classes get Q = 0, the constrained
    CNN's zero constraint for labels not in the image (Pathak et al., ICCV 2015), and without it
    they are left unconstrained (Q keeps P's proportions on them). An image in which no class is
    present is left unconstrained altogether (Q = P). Q is found by
    :func:`solve_latent_distribution`. The loss is mean_i KL(Q_i ‖ P_i) towards the detached Q
    over the valid pixels of the batch, 0 when P already satisfies the constraints; its gradient
    on the logits is (P − Q) per pixel. Classes with α_c > ``large_class_threshold`` have their
    logit gradients multiplied by ``large_class_grad_scale``.

    Args:
        logits (Tensor): Segmentation logits (N, C, H, W).
        alpha (Tensor): α_c, (C,).
        delta (Tensor): δ_c (lower bounds), (C,).
        gamma (Tensor): γ_c (upper bounds), (C,).
        mask (Tensor, optional): Bool (N, H, W); False pixels (padding, ignore) are excluded
            from the class fractions, the presence test and the loss.
        present_threshold (float): Presence threshold relative to α_c.
        suppress_absent (bool): Whether classes that are not present get Q = 0.
        large_class_threshold (float): α_c above which a class is "large".
        large_class_grad_scale (float): Gradient factor of large classes.
        slack_weight (float): β, penalty of lower-bound violations (bound of λ⁻).
        num_iters (int): Maximum dual ascent steps.
        step_size (float): Preconditioned step, see :func:`solve_latent_distribution`.
        max_step (float): Largest dual change per step.
        tol (float): Convergence tolerance of the dual ascent.

    Returns:
        ConstrainedMILResult: The loss (0 when no pixel is valid), the image-level labels and
        the latent-distribution solution.
    """
    if logits.dim() != 4:
        raise ValueError(f'logits must be (N, C, H, W), got shape {tuple(logits.shape)}')
    num_classes = logits.shape[1]
    for name, value in (('alpha', alpha), ('delta', delta), ('gamma', gamma)):
        _check_class_vector(name, value, num_classes)
    alpha = alpha.to(device=logits.device, dtype=torch.float32)
    with torch.no_grad():
        log_p = torch.log_softmax(logits.detach().float(), dim=1)
        weights = _pixel_weights(tuple(logits.shape), mask, logits.device)
        present = class_presence(log_p, alpha, weights, present_threshold)
        zero = ~present & present.any(dim=1, keepdim=True) if suppress_absent else None
        solution = solve_latent_distribution(log_p, delta, gamma, present, mask, slack_weight,
                                             num_iters, step_size, max_step, tol, zero)
        q = solution.log_q.exp()
        log_q = torch.where(q > 0, solution.log_q, torch.zeros_like(q))
        scale = torch.where(alpha > large_class_threshold,
                            torch.full_like(alpha, large_class_grad_scale),
                            torch.ones_like(alpha))
    log_probs = torch.log_softmax(scale_class_gradients(logits, scale).float(), dim=1)
    kl = (q * (log_q - log_probs)).sum(dim=1)
    valid = torch.ones_like(kl) if mask is None else mask.to(kl)
    loss = (kl * valid).sum() / valid.sum().clamp_min(1.0)
    return ConstrainedMILResult(loss, present, solution)


def constrained_mil_loss(logits: torch.Tensor, alpha: torch.Tensor, delta: torch.Tensor,
                         gamma: torch.Tensor, mask: Optional[torch.Tensor] = None,
                         **kwargs) -> torch.Tensor:
    """The loss of :func:`constrained_mil` alone (same arguments)."""
    return constrained_mil(logits, alpha, delta, gamma, mask, **kwargs).loss


@MODELS.register_module()
class ConstrainedMILLoss(nn.Module):
    """Thin module around :func:`constrained_mil` holding the class-size statistics.

    A solve that stops at ``num_iters`` steps without reaching ``tol`` is reported by a warning
    in the log, the 1st, 10th, 100th, ... time it happens (so a long run is not flooded); every
    solve's residual and step count are in :class:`ConstrainedMILResult` (and in the training
    log of :class:`~mmseg_uda.models.adaptation.CategoryAdaptation`).

    Args:
        alpha (Sequence[float]): α_c per class (see ``mmseg_uda.class_stats``).
        delta (Sequence[float]): δ_c per class.
        gamma (Sequence[float]): γ_c per class.
        loss_weight (float): Multiplier of the loss, >= 0.
        loss_name (str): Name of the loss item; must start with ``loss_``.
        present_threshold, suppress_absent, large_class_threshold, large_class_grad_scale,
        slack_weight, num_iters, step_size, max_step, tol: See :func:`constrained_mil`.
        persistent_stats (bool): Whether α, δ, γ are saved in the state dict (as
            :class:`~mmseg_uda.models.adaptation.CategoryAdaptation` keeps them).
    """

    def __init__(self, alpha: Sequence[float], delta: Sequence[float],
                 gamma: Sequence[float], loss_weight: float = 1.0,
                 loss_name: str = 'loss_cmil', present_threshold: float = 0.1,
                 suppress_absent: bool = True, large_class_threshold: float = 0.1,
                 large_class_grad_scale: float = 0.1, slack_weight: float = 2.0,
                 num_iters: int = 100, step_size: float = 0.5, max_step: float = 1.0,
                 tol: float = 1e-4, persistent_stats: bool = False) -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_", got {loss_name!r}')
        if loss_weight < 0:
            raise ValueError(f'loss_weight must be >= 0, got {loss_weight}')
        stats = {}
        for name, values in (('alpha', alpha), ('delta', delta), ('gamma', gamma)):
            tensor = torch.as_tensor(values, dtype=torch.float32)
            if tensor.dim() != 1 or tensor.numel() != len(alpha):
                raise ValueError(f'{name} must be a list of {len(alpha)} values (as alpha), got '
                                 f'shape {tuple(tensor.shape)}')
            bad = (tensor < 0) | (tensor > 1)
            if bad.any():
                idx = int(bad.nonzero()[0])
                raise ValueError(f'{name}[{idx}] must be in [0, 1], got {tensor[idx].item()}')
            stats[name] = tensor
        for name, tensor in stats.items():
            self.register_buffer(name, tensor, persistent=persistent_stats)
        self.loss_weight = loss_weight
        self._loss_name = loss_name
        self.solver_cfg = dict(
            present_threshold=present_threshold, suppress_absent=suppress_absent,
            large_class_threshold=large_class_threshold,
            large_class_grad_scale=large_class_grad_scale, slack_weight=slack_weight,
            num_iters=num_iters, step_size=step_size, max_step=max_step, tol=tol)
        self.unconverged_solves = 0

    def compute(self, logits: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> ConstrainedMILResult:
        """:func:`constrained_mil` of ``logits`` (N, C, H, W), its loss weighted."""
        result = constrained_mil(logits, self.alpha, self.delta, self.gamma, mask,
                                 **self.solver_cfg)
        solution = result.solution
        if not solution.converged:
            self.unconverged_solves += 1
            count = self.unconverged_solves
            if count == 10**(len(str(count)) - 1):  # 1, 10, 100, ...
                print_log(
                    f'{self._loss_name}: the latent-distribution solver stopped after '
                    f'{solution.num_iters} steps with residual {solution.residual:.2e} > tol '
                    f"{self.solver_cfg['tol']:g} (constraints met up to that class fraction); "
                    f'{count} unconverged solve(s) so far. Raise num_iters if this is frequent.',
                    logger='current', level=logging.WARNING)
        return replace(result, loss=self.loss_weight * result.loss)

    def forward(self, logits: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Weighted constrained MIL loss of ``logits`` (N, C, H, W)."""
        return self.compute(logits, mask).loss

    @property
    def loss_name(self) -> str:
        """Name of the loss item in the loss dict."""
        return self._loss_name
