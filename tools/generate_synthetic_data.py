"""Generate the built-in synthetic source/target street-scene datasets.

    python tools/generate_synthetic_data.py --out data/synthetic
    python tools/generate_synthetic_data.py --out data/synthetic_layout --layout-shift
"""
import argparse
import sys
import time

from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data


def parse_args() -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/synthetic', help='output root directory')
    parser.add_argument('--num-train', type=int, default=200, help='train images per domain')
    parser.add_argument('--num-val', type=int, default=60, help='val images per domain')
    parser.add_argument('--width', type=int, default=192, help='image width in pixels')
    parser.add_argument('--height', type=int, default=96, help='image height in pixels')
    parser.add_argument('--seed', type=int, default=0, help='dataset seed')
    parser.add_argument('--layout-shift', action='store_true',
                        help='also shift the target scene layout, not only its appearance')
    parser.add_argument('--overwrite', action='store_true',
                        help='regenerate even if --out holds data made with other parameters')
    return parser.parse_args()


def main() -> None:
    """Generate the data and print a one-line summary."""
    args = parse_args()
    start = time.perf_counter()
    try:
        info = generate_synthetic_uda_data(
            args.out, num_train=args.num_train, num_val=args.num_val, width=args.width,
            height=args.height, seed=args.seed, layout_shift=args.layout_shift,
            overwrite=args.overwrite)
    except ValueError as err:
        sys.exit(f'error: {err}')
    action = 'generated' if info['generated'] else 'up to date, reused'
    print(f"{action}: {info['num_files']} files ({info['num_train']} train + {info['num_val']} val "
          f"per domain) in {info['source_root']} and {info['target_root']} "
          f'[{time.perf_counter() - start:.1f}s]')


if __name__ == '__main__':
    main()
