"""Image feature maps computed once per image: across epochs (memory), and across processes that
share a cache folder (the ranks of a distributed run), keyed by content and encoder."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import torch
from PIL import Image

from madpg_core.model.image_encoder import ImageEncoder
from madpg_core.vision.feature_cache import FeatureCache


def _encoder(seed: int = 0) -> ImageEncoder:
    torch.manual_seed(seed)
    return ImageEncoder("resnet18", 8, use_ema=False)


def _images(folder: Path, n: int) -> list[str]:
    out = []
    for i in range(n):
        p = folder / f"img{i}.png"
        Image.new("RGB", (24, 20), (40 * i % 256, 90, 200 - 30 * i % 200)).save(p)
        out.append(str(p))
    return out


def _count_backbone_calls(enc: ImageEncoder) -> list[int]:
    calls = [0]
    enc.backbone.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + len(_[1][0])))
    return calls


def test_every_epoch_after_the_first_reads_memory(tmp_path: Path) -> None:
    enc = _encoder()
    calls = _count_backbone_calls(enc)
    paths = _images(tmp_path, 3)
    cache = FeatureCache(enc, 32)
    first = [cache.get([p]) for p in paths]
    for _epoch in range(3):
        again = [cache.get([p]) for p in paths]
    assert calls[0] == 3 and cache.computed == 3
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    mean = cache.get(paths[:2])  # a record with two images: their mean map
    assert torch.allclose(mean, (first[0] + first[1]) / 2)


def test_the_key_is_content_plus_backbone_weights_plus_input_size(tmp_path: Path) -> None:
    enc = _encoder()
    paths = _images(tmp_path, 1)
    a = FeatureCache(enc, 32, tmp_path / "c")
    a.get(paths)
    assert FeatureCache(enc, 48, tmp_path / "c").fingerprint != a.fingerprint  # another input size
    changed = _encoder()
    with torch.no_grad():
        changed.backbone[7][1].conv2.weight[0, 0, 0, 0] += 1.0  # deep in layer4, far from the first tensors
    other = FeatureCache(changed, 32, tmp_path / "c")
    assert other.fingerprint != a.fingerprint
    other.get(paths)
    assert other.computed == 1 and len(list((tmp_path / "c").glob("*.safetensors"))) == 2
    same = FeatureCache(_encoder(), 32, tmp_path / "c")  # equal weights built again: the same id
    assert same.fingerprint == a.fingerprint
    same.get(paths)
    assert same.computed == 0 and same.read == 1


def test_a_damaged_file_is_computed_again_and_replaced(tmp_path: Path) -> None:
    enc = _encoder()
    paths = _images(tmp_path, 1)
    want = FeatureCache(enc, 32, tmp_path / "c").get(paths)
    (f,) = (tmp_path / "c").glob("*.safetensors")
    f.write_bytes(b"half a file")
    fresh = FeatureCache(enc, 32, tmp_path / "c")
    assert torch.equal(fresh.get(paths), want) and fresh.computed == 1
    assert torch.equal(FeatureCache(enc, 32, tmp_path / "c").get(paths), want)  # rewritten whole
    assert not list((tmp_path / "c").glob("*.part"))


def test_memory_stays_within_its_budget(tmp_path: Path) -> None:
    enc = _encoder()
    paths = _images(tmp_path, 4)
    one_map = 512 * 7 * 7 * 4
    cache = FeatureCache(enc, 32, memory_bytes=2 * one_map)
    full = FeatureCache(enc, 32)
    for p in paths:
        assert torch.equal(cache.get([p]), full.get([p]))
    assert cache._held <= 2 * one_map and len(cache._memory) == 2
    assert torch.allclose(cache.get(paths), full.get(paths), atol=1e-5)  # more images than the budget holds


def _rank(rank: int, weights: str, paths: list[str], folder: str, out: str) -> None:
    torch.set_num_threads(1)
    enc = ImageEncoder("resnet18", 8, use_ema=False)
    enc.load_state_dict(torch.load(weights, weights_only=True))
    cache = FeatureCache(enc, 32, Path(folder))
    maps = torch.stack([cache.get([p]) for p in paths])  # type: ignore[misc]
    torch.save({"maps": maps, "computed": cache.computed, "read": cache.read}, out)


def test_processes_sharing_a_folder_agree_and_a_later_one_computes_nothing(tmp_path: Path) -> None:
    enc = _encoder()
    torch.save(enc.state_dict(), tmp_path / "enc.pth")
    paths = _images(tmp_path, 4)
    folder = tmp_path / "shared"
    ctx = multiprocessing.get_context("fork")  # spawn would import torch again in each: ~10 s on a busy machine
    # Two "ranks" at once over the same images: both may compute a map, neither reads a torn file.
    procs = [ctx.Process(target=_rank, args=(r, str(tmp_path / "enc.pth"), paths, str(folder),
                                               str(tmp_path / f"r{r}.pt"))) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    r0, r1 = (torch.load(tmp_path / f"r{r}.pt", weights_only=True) for r in range(2))
    assert torch.allclose(r0["maps"], r1["maps"], atol=1e-6)
    assert len(list(folder.glob("*.safetensors"))) == 4 and not list(folder.glob("*.part"))
    _rank(2, str(tmp_path / "enc.pth"), paths, str(folder), str(tmp_path / "r2.pt"))
    later = torch.load(tmp_path / "r2.pt", weights_only=True)
    assert later["computed"] == 0 and later["read"] == 4
    assert torch.equal(later["maps"], r0["maps"]) or torch.equal(later["maps"], r1["maps"])
