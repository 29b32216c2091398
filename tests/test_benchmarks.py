"""The benchmark scripts run and print what they promise: the GPU check's dry run on CPU, the
dataloader comparison, the 1 vs 2 process comparison and the patch-head probe, at their smallest
sizes."""
import re
import sys

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from mmseg_uda.testing import build_optim_wrappers, make_batch
from tests.conftest import REPO, tiny_model_cfg
from tests.test_fit_patch_head import patch_setup  # noqa: F401  (a fixture)
from tests.test_launch import run_tool

sys.path.insert(0, f'{REPO}/benchmarks')
import bench_train_step  # noqa: E402

ONE_THREAD = {'OMP_NUM_THREADS': '1'}
NUMBER = r'[0-9]+(?:\.[0-9]+)?'


def table_rows(text: str, first_cell: str) -> list:
    """The cells of every markdown table row of ``text`` whose first cell is ``first_cell``."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if line.startswith('|') and cells[0] == first_cell:
            rows.append(cells)
    return rows


def test_gpu_check_dry_run(tmp_path):
    """Every precision / memory-format variant is a row: figures for fp32 and channels_last,
    enable_amp's CUDA error for the AMP ones (expected on CPU: exit 0); every smoke config ok."""
    out = run_tool(['bash', f'{REPO}/benchmarks/gpu_check.sh', '--dry-run', '--out',
                    str(tmp_path)], cwd=tmp_path, env=ONE_THREAD)
    report = (tmp_path / 'gpu_check.md').read_text()
    assert report in out
    assert re.search(r'torch \S+, CUDA build', report) and 'mmseg_uda 0.' in report
    rows = {(r[3], r[4]): r for r in table_rows(report, 'configs/patch_align/gta2cs.py')}
    assert sorted(rows) == [('AMP bf16', 'contiguous'), ('AMP fp16', 'contiguous'),
                            ('fp32', 'channels_last'), ('fp32', 'contiguous')], report
    for key in (('fp32', 'contiguous'), ('fp32', 'channels_last')):
        ms, peak, patch = rows[key][8:11]
        assert re.fullmatch(NUMBER, ms) and re.fullmatch(NUMBER, peak), rows[key]
        assert re.fullmatch(rf'{NUMBER} ms = {NUMBER} %', patch), rows[key]
    for key in (('AMP bf16', 'contiguous'), ('AMP fp16', 'contiguous')):
        assert rows[key][8].startswith('FAILED: RuntimeError: --amp needs a CUDA device'), \
            rows[key]
    smoke = [r for r in (table_rows(report, c) for c in (
        'configs/demo/output_space_synthetic.py', 'configs/patch_align/camvid_day2dusk_tiny.py',
        'configs/fcn_wild/camvid_day2dusk_ga_ca.py'))]
    assert all(len(r) == 1 and r[0][-1] == 'ok' for r in smoke), report


@pytest.mark.parametrize('amp,dtype', [('bf16', torch.bfloat16), ('fp16', torch.float16)])
def test_step_benchmark_amp_dtype(amp, dtype, monkeypatch):
    """``--amp bf16|fp16`` gives one AmpOptimWrapper per part with that autocast dtype (the CUDA
    checks of enable_amp and AmpOptimWrapper patched: this machine has no GPU)."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_wrapper

    import mmseg_uda.engine.launch as launch
    monkeypatch.setattr(launch, 'accelerator_available', lambda: True)
    monkeypatch.setattr(amp_wrapper, 'is_cuda_available', lambda: True)
    cfg = Config.fromfile(f'{REPO}/configs/demo/output_space_synthetic.py')
    bench_train_step.set_amp(cfg, amp)
    model = MODELS.build(tiny_model_cfg(adaptations=dict(
        output=dict(type='OutputSpaceAdaptation', disc_input_size='logits'))))
    optim = build_optim_wrappers(cfg, model)
    assert {k: (type(w).__name__, w.cast_dtype) for k, w in optim.items()} == {
        'generator': ('AmpOptimWrapper', dtype), 'discriminator': ('AmpOptimWrapper', dtype)}


def test_step_benchmark_channels_last():
    """``--channels-last``: the weights and the preprocessed inputs are channels_last."""
    model = MODELS.build(tiny_model_cfg()['segmentor'])
    bench_train_step.to_channels_last(model)
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    inputs = model.data_preprocessor(make_batch(), True)['inputs']
    assert inputs.is_contiguous(memory_format=torch.channels_last)
    assert not inputs.is_contiguous()


def test_bench_dataloader_prints_ratios(tmp_path):
    out = run_tool([sys.executable, f'{REPO}/benchmarks/bench_dataloader.py', '--num-images',
                    '4', '--batch', '2', '--batches', '2', '--workers', '0', '2'],
                   cwd=tmp_path, env=ONE_THREAD)
    rows = {r[0]: r for r in table_rows(out, '0') + table_rows(out, '2')}
    assert sorted(rows) == ['0', '2'], out
    for workers, (_, plain, pair, ratio, plain_vs, pair_vs) in rows.items():
        assert ratio == f'x{float(pair) / float(plain):.2f}', rows[workers]
        assert plain_vs == f'x{float(plain) / float(rows["0"][1]):.2f}', rows[workers]
        assert pair_vs == f'x{float(pair) / float(rows["0"][2]):.2f}', rows[workers]
    assert rows['0'][4] == rows['0'][5] == 'x1.00'


def test_bench_dist_two_processes(tmp_path):
    """One step of output-space adaptation on 2 gloo processes; clean exit, a table row."""
    out = run_tool([sys.executable, f'{REPO}/benchmarks/bench_dist.py', '--methods',
                    'output_space', '--procs', '2', '--iters', '1', '--warmup', '0', '--batch',
                    '1'], cwd=tmp_path, env=ONE_THREAD)
    (row, ) = table_rows(out, 'output_space')
    method, procs, batch, step, per_proc, total, ratio = row
    assert (procs, batch, ratio) == ('2', '1', 'x1.00'), row
    assert float(total) == pytest.approx(2 * float(per_proc), abs=0.02), row
    assert float(per_proc) == pytest.approx(1 / float(step), rel=0.02), row


def test_step_benchmark_source_only_is_the_plain_segmentor(tmp_path):
    """The baseline variant: the config's segmentor as a plain MMSeg model with the generator's
    optimizer, on the source batch alone; the adapted variants wrap the same segmentor."""
    args = bench_train_step.parse_args(['--batch', '1', '--height', '64', '--width', '64',
                                        '--iters', '1', '--warmup', '0', '--threads', '1',
                                        '--device', 'cpu'])
    config = 'configs/demo/output_space_synthetic.py'
    model, optim, data = bench_train_step.build(Config.fromfile(f'{REPO}/{config}'),
                                                'source only', args, str(tmp_path))
    assert (type(model).__name__, type(optim).__name__) == ('EncoderDecoder', 'OptimWrapper')
    assert sorted(data) == ['data_samples', 'inputs']
    adapted, _, _ = bench_train_step.build(Config.fromfile(f'{REPO}/{config}'),
                                           'output space, D at logits size', args, str(tmp_path))
    assert sorted(model.state_dict()) == sorted(adapted.segmentor.state_dict())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log_vars = model.train_step(data, optim)
    assert torch.isfinite(log_vars['decode.loss_ce'])
    assert any(not torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_patch_head_probe_table(patch_setup, capsys):
    """benchmarks/patch_head_probe.py on a synthetic patch config (K = 4 modes, 16x16 patches)
    and a plain segmentor checkpoint: one row per head design, Ld near chance (ln 4) after a
    few steps, mode accuracies over every patch of the 4 source images (64x128: 32 each)."""
    import patch_head_probe
    config, checkpoint, _ = patch_setup
    patch_head_probe.main([str(config), str(checkpoint), '--steps', '10', '--lr', '0.01',
                           '--batch-size', '2', '--split', 'source'])
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith('| head pooling | Ld after 10 steps | source mode')
    rows = {r[0]: r for r in table_rows(out, 'patch') + table_rows(out, 'cell')}
    assert sorted(rows) == ['cell', 'patch'], out
    mixed_counts = set()
    for pooling, (_, loss, accuracy, mixed, pure) in rows.items():
        assert 0 < float(loss) < 1.5, (pooling, loss)
        value, patches = re.fullmatch(rf'({NUMBER}) \(([0-9]+) patches\)', accuracy).groups()
        mixed_value, mixed_patches = re.fullmatch(rf'({NUMBER}) \(([0-9]+)\)', mixed).groups()
        total, n_mixed = int(patches), int(mixed_patches)
        assert total == 4 * 32 and 0 < n_mixed <= total
        mixed_counts.add(n_mixed)  # Γ and the label shares do not depend on the head
        # the accuracy over all patches is the mixed and pure ones' weighted mean
        assert abs(float(value) * total - float(mixed_value) * n_mixed
                   - float(pure) * (total - n_mixed)) < 0.01 * total
    assert len(mixed_counts) == 1
