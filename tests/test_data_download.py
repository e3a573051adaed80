"""The download path of lr_tutor.data, tested without internet: small zips in the layout of the public CGI
rock-paper-scissors set are served from 127.0.0.1, with their sizes and SHA-256 injected as `Remote`s.
Covers a good download and the cache, interrupted downloads (truncated, and a process killed mid-download),
wrong hash/size, a file that is not a zip, a wrong layout, offline failure messages, the lookup order
(path argument, $LR_TUTOR_DATA, cache, then the bundled sample or the download, said by `DataSource`) and
corrupt images naming the file."""
import functools, http.server, os, signal, subprocess, sys, tempfile, threading, time, zipfile
from pathlib import Path
import pytest
import lr_tutor.data
from lr_tutor.data import (Remote, find_dataset, locate_dataset, split_folders, rps_dls, synthetic_images,
                           write_image_folder, image_files, _sha256, clear_cache, SAMPLE_DIR)

VOCAB = ['paper', 'rock', 'scissors']


def make_zip(zip_path, top, n=4, size=24, seed=0):
    "A zip holding `top`/<class>/*.png, `n` synthetic images per class; its `Remote` (url filled in later)."
    x, y = synthetic_images(3 * n, size, 3, seed)
    with tempfile.TemporaryDirectory() as tmp:
        write_image_folder(Path(tmp)/top, x, y, VOCAB)
        with zipfile.ZipFile(zip_path, 'w') as z:
            for f in sorted(Path(tmp).rglob('*.png')): z.write(f, f.relative_to(tmp))
    return Remote('', os.path.getsize(zip_path), _sha256(zip_path), Path(zip_path).name)


class Handler(http.server.SimpleHTTPRequestHandler):
    "Serves files; /truncated/<f> sends half of <f> then closes; /stall/<f> sends half then waits."
    def log_message(self, *args): pass
    def do_GET(self):
        mode, _, name = self.path.lstrip('/').partition('/')
        if mode not in ('truncated', 'stall'): return super().do_GET()
        data = (Path(self.directory)/name).read_bytes()
        self.send_response(200)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data[:len(data)//2]); self.wfile.flush()
        if mode == 'stall': time.sleep(30)
        self.close_connection = True


@pytest.fixture
def web(tmp_path):
    "A folder with rps.zip and rps-test-set.zip served on 127.0.0.1: (folder, base url, [Remote, Remote])."
    folder = tmp_path/'web'; folder.mkdir()
    remotes = [make_zip(folder/'rps.zip', 'rps'), make_zip(folder/'rps-test-set.zip', 'rps-test-set', seed=1)]
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Handler, directory=str(folder)))
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f'http://127.0.0.1:{srv.server_address[1]}'
    for r in remotes: r.url = f'{base}/{r.fname}'
    yield folder, base, remotes
    srv.shutdown(); srv.server_close()


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    "$LR_TUTOR_DATA pointing at an empty folder, and an empty cache folder (returned)."
    empty = tmp_path/'data'; empty.mkdir()
    monkeypatch.setenv('LR_TUTOR_DATA', str(empty))
    cache = tmp_path/'cache'; cache.mkdir()
    return cache


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def test_download_unpacks_into_cache_and_reuses_it(web, no_data):
    _, _, remotes = web
    got = find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False)
    assert got == no_data/'rps'
    assert [p.name for p in split_folders(got)] == ['rps', 'rps-test-set']
    assert sorted(p.name for p in no_data.iterdir()) == ['rps']          # no temporary files left
    files, labels, vocab = image_files(got/'rps')
    assert vocab == VOCAB and len(files) == 12
    unreachable = [Remote(f'http://127.0.0.1:{free_port()}/{r.fname}', r.size, r.sha256) for r in remotes]
    assert find_dataset('rps', cache_dir=no_data, remotes=unreachable, fallback='download') == got   # served from the cache
    dls = rps_dls(got, size=16, bs=4, fast=True, device='cpu')
    assert (len(dls.train_ds), len(dls.valid_ds)) == (12, 12)


def test_truncated_download_leaves_no_cache(web, no_data):
    _, base, remotes = web
    remotes[1].url = f'{base}/truncated/{remotes[1].fname}'   # the second zip breaks off half way
    with pytest.raises(FileNotFoundError) as e:
        find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False)
    assert 'LR_TUTOR_DATA' in str(e.value) and remotes[1].url in str(e.value)
    assert list(no_data.iterdir()) == []                       # not even the first, complete zip's files
    remotes[1].url = f'{base}/{remotes[1].fname}'
    assert find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False) == no_data/'rps'


def test_killed_download_leaves_no_cache(web, no_data):
    "A process killed (SIGKILL) mid-download leaves no `rps/`, and the next call completes the download."
    _, base, remotes = web
    stalled = [Remote(f'{base}/stall/{r.fname}', r.size, r.sha256) for r in remotes]
    code = ("import sys; from lr_tutor.data import find_dataset, Remote\n"
            f"find_dataset('rps', cache_dir={str(no_data)!r}, remotes=[Remote(*a) for a in {[(r.url, r.size, r.sha256) for r in stalled]!r}], fallback='download', progress=False)")
    proc = subprocess.Popen([sys.executable, '-c', code], env=os.environ.copy())
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not any(p.stat().st_size > 0 for p in no_data.rglob('*.part')):
            assert proc.poll() is None, 'the download process ended before it was killed'
            time.sleep(0.1)
        assert any(no_data.rglob('*.part')), 'no partial download appeared'
    finally:
        proc.send_signal(signal.SIGKILL); proc.wait()
    assert not (no_data/'rps').exists()
    assert find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False) == no_data/'rps'
    assert len(image_files(no_data/'rps'/'rps-test-set')[0]) == 12


def test_checksum_mismatch(web, no_data):
    _, _, remotes = web
    remotes[0].sha256 = '0' * 64
    with pytest.raises(FileNotFoundError, match='SHA-256'):
        find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False)
    assert list(no_data.iterdir()) == []


def test_size_mismatch(web, no_data):
    _, _, remotes = web
    remotes[0].size += 1
    with pytest.raises(FileNotFoundError, match=f'expected {remotes[0].size}'):
        find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False)
    assert list(no_data.iterdir()) == []


def test_not_a_zip_and_wrong_layout(web, no_data):
    folder, base, remotes = web
    (folder/'junk.zip').write_bytes(b'not a zip at all')
    junk = Remote(f'{base}/junk.zip', 16, _sha256(folder/'junk.zip'))
    with pytest.raises(FileNotFoundError, match='not a valid zip'):
        find_dataset('rps', cache_dir=no_data, remotes=[remotes[0], junk], fallback='download', progress=False)
    assert list(no_data.iterdir()) == []
    with pytest.raises(FileNotFoundError, match='do not unpack to'):   # only the training zip: no test folder
        find_dataset('rps', cache_dir=no_data, remotes=remotes[:1], fallback='download', progress=False)
    assert list(no_data.iterdir()) == []


def test_offline_message_names_env_and_urls(no_data):
    remotes = [Remote(f'http://127.0.0.1:{free_port()}/rps.zip', 1, None),
               Remote(f'http://127.0.0.1:{free_port()}/rps-test-set.zip', 1, None)]
    t = time.time()
    with pytest.raises(FileNotFoundError) as e:
        find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False)
    msg = str(e.value)
    assert 'LR_TUTOR_DATA' in msg and all(r.url in msg for r in remotes)
    with pytest.raises(FileNotFoundError) as e:
        find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback=None)
    assert 'LR_TUTOR_DATA' in str(e.value) and all(r.url in str(e.value) for r in remotes)
    assert list(no_data.iterdir()) == []


def test_lookup_order(web, no_data, tmp_path, monkeypatch):
    "path argument first, then $LR_TUTOR_DATA/rps, then the cache."
    _, _, remotes = web
    cached = find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download', progress=False)
    env_root = tmp_path/'env'
    for split, seed in (('train', 2), ('test', 3)):
        x, y = synthetic_images(6, 16, 3, seed)
        write_image_folder(env_root/'rps'/split, x, y, VOCAB)
    monkeypatch.setenv('LR_TUTOR_DATA', str(env_root))
    assert find_dataset('rps', cache_dir=no_data, remotes=remotes, fallback='download') == env_root/'rps'
    assert find_dataset('rps', path=cached, cache_dir=no_data, remotes=remotes) == cached
    with pytest.raises(FileNotFoundError, match='is not a rps dataset'):
        find_dataset('rps', path=tmp_path/'nowhere')


def _folder_with_corrupt(tmp_path, content):
    root = tmp_path/'rps'
    for split, seed in (('train', 4), ('test', 5)):
        x, y = synthetic_images(6, 16, 3, seed)
        write_image_folder(root/split, x, y, VOCAB, ext='jpg')
    bad = sorted((root/'test'/'rock').iterdir())[0]
    bad.write_bytes(content(bad.read_bytes()))
    return root, bad


@pytest.mark.parametrize('content', [lambda b: b'garbage, not an image', lambda b: b[:len(b)//2]],
                         ids=['garbage', 'truncated'])
def test_corrupt_image_names_the_file(tmp_path, content):
    clear_cache()
    root, bad = _folder_with_corrupt(tmp_path, content)
    with pytest.raises(ValueError, match=bad.name):
        rps_dls(root, size=16, bs=4, fast=True, device='cpu')
    dls = rps_dls(root, size=16, bs=4, fast=False, num_workers=0, device='cpu')
    with pytest.raises(ValueError, match=bad.name):
        for _ in dls.valid: pass


def test_sample_is_the_fallback_for_cpu_sized_runs(no_data):
    "Nothing found: find_dataset and a CPU-sized rps_dls take the bundled sample, and say so; nothing is downloaded."
    src = locate_dataset('rps', cache_dir=no_data)
    assert (src.kind, src.root, src.counts) == ('sample', SAMPLE_DIR/'rps', (300, 120))
    assert find_dataset('rps', cache_dir=no_data) == SAMPLE_DIR/'rps'
    text = str(src)
    assert 'bundled sample' in text and 'LR_TUTOR_DATA' in text and '300 train / 120 test' in text
    dls = rps_dls(size=16, bs=8, n_per_class=10, fast=True, device='cpu', cache_dir=no_data)
    assert dls.source.kind == 'sample' and (len(dls.train_ds), len(dls.valid_ds)) == (30, 120)
    assert '30 train / 120 test photos of its 300 train / 120 test photos' in str(dls.source)
    assert list(no_data.iterdir()) == []


def test_whole_set_asked_downloads_not_the_sample(web, no_data):
    "rps_dls with n_per_class=None asks for the whole set: it downloads (here from the local server), not the sample."
    _, _, remotes = web
    dls = rps_dls(size=16, bs=4, fast=True, device='cpu', cache_dir=no_data, remotes=remotes)
    assert dls.source.kind == 'download' and dls.source.root == no_data/'rps'
    assert 'just downloaded' in str(dls.source) and '12 train / 12 test photos' in str(dls.source)
    assert rps_dls(size=16, bs=4, fast=True, device='cpu', cache_dir=no_data, remotes=remotes).source.kind == 'cache'


def test_missing_sample_says_where_to_put_photos(no_data, monkeypatch, tmp_path):
    "An install without the package data: a clear error naming LR_TUTOR_DATA, not a crash deeper down."
    monkeypatch.setattr(lr_tutor.data, 'SAMPLE_DIR', tmp_path/'nothing')
    with pytest.raises(FileNotFoundError) as e:
        rps_dls(size=16, bs=4, n_per_class=4, fast=True, device='cpu', cache_dir=no_data)
    assert 'LR_TUTOR_DATA' in str(e.value) and 'sample' in str(e.value)


def test_sample_is_deterministic_and_small():
    "The sample is the lowest-hash subset of the full set's names, 96x64 JPEGs, under 1 MB in all."
    from PIL import Image
    files = sorted(SAMPLE_DIR.rglob('*.jpg'))
    assert len(files) == 420 and sum(f.stat().st_size for f in files) < 1_000_000
    assert {Image.open(f).size for f in files[::37]} == {(96, 64)}
    assert (SAMPLE_DIR/'rps'/'README.md').read_text().count('CC BY-SA 4.0') >= 1
    full = os.environ.get('LR_TUTOR_DATA')
    if full and split_folders(Path(full)/'rps'):   # the same photos image_files(n_per_class=100) picks from the full set
        picked, _, _ = image_files(Path(full)/'rps'/'train', n_per_class=100)
        assert sorted(f.name for f in picked) == sorted(f.name for f in (SAMPLE_DIR/'rps'/'train').rglob('*.jpg'))
