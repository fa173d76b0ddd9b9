"""The real page in headless Chromium (Debian's chromium + chromedriver, driven by selenium): ask, click the
first citation, and the player is inside the cited span; click a scene in the strip, and the player is at
that scene. Saves the screenshots the README and docs/server.md show."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import index_with_pictures
from tests.server_fixtures import HOSTILE, KEEPER_SPAN, add_hostile_text, make_served_folder
from vidseek.library import Library
from vidseek.server import ServerConfig, create_app

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "img" / "page.png"
SCENES_SHOT = SCREENSHOT.with_name("scenes.png")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder):
    import uvicorn

    root = tmp_path_factory.mktemp("page")
    video = make_served_folder(root)
    library = Library(root / "library", embedder=embedder, device="cpu")
    fingerprint = index_with_pictures(library, video, ["subtitle"])  # the pictures decoded: the shots cut
    add_hostile_text(library, fingerprint)
    port = _free_port()
    app = create_app(ServerConfig(roots=[root / "videos"], llm=False), library)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), \
        "the browser test needs Debian's chromium and chromium-driver (install.sh installs them as root)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
                 "--window-size=1400,900", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
                 "--host-resolver-rules=MAP evil.test 127.0.0.1"):  # a name rebound to loopback, as in DNS rebinding
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def test_click_a_citation_and_the_player_is_at_the_moment(server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(server)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#video option"))
    assert browser.find_element(By.CSS_SELECTOR, "#video option").text == "harbor.mp4 (00:00:20)"  # its label
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .mark"))
    lanes = [span.text for span in browser.find_elements(By.CSS_SELECTOR, "#legend span")]
    assert "subtitle · GUIDE" in lanes and "subtitle" in lanes, lanes  # a lane per speaker, beside the rest
    browser.find_element(By.ID, "question").send_keys("Who is the lighthouse keeper?")
    browser.find_element(By.ID, "ask").click()
    chip = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, "#citations .chip")))
    assert "Ada Brooks" in browser.find_element(By.ID, "answer-text").text
    assert (float(chip.get_attribute("data-start")), float(chip.get_attribute("data-end"))) == KEEPER_SPAN
    browser.execute_script("""
        window.__seeked = null;
        document.getElementById('player').addEventListener('seeked',
            (e) => { window.__seeked = e.target.currentTime; }, {once: true});""")
    chip.click()
    seeked = wait.until(lambda d: d.execute_script("return window.__seeked"))
    assert KEEPER_SPAN[0] <= seeked <= KEEPER_SPAN[1]
    browser.execute_script("document.getElementById('player').pause()")
    now = browser.execute_script("return document.getElementById('player').currentTime")
    assert KEEPER_SPAN[0] <= now <= KEEPER_SPAN[1]
    thumbs = wait.until(lambda d: [i for i in d.find_elements(By.CSS_SELECTOR, "#evidence img")
                                   if d.execute_script("return arguments[0].naturalWidth", i) > 0])
    assert thumbs  # the cited frames are shown
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))


def test_text_from_the_video_is_shown_as_text_never_run(server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(server)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .mark"))
    browser.find_element(By.ID, "question").send_keys("What does the screen say about instructions?")
    browser.find_element(By.ID, "ask").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#evidence li"))
    texts = [e.get_attribute("textContent") for e in browser.find_elements(By.CSS_SELECTOR, "#evidence .text")]
    assert HOSTILE in texts  # the markup is visible as characters
    titles = [m.get_attribute("title") for m in browser.find_elements(By.CSS_SELECTOR, "#timeline .mark")]
    assert any(HOSTILE in t for t in titles)
    shown = [e.get_attribute("textContent")
             for e in wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#scenes .shown"))]
    assert shown[0] == HOSTILE  # the scene strip's first words on screen: characters too
    assert browser.execute_script("return window.__pwned") is None  # neither the img nor the script ran
    assert not browser.find_elements(By.CSS_SELECTOR, "#evidence img[src='x'], #evidence script")


def test_a_page_under_another_host_name_cannot_read_the_api(server, browser) -> None:
    """DNS rebinding: evil.test resolves to 127.0.0.1 (as an attacker's name can be made to), so its page
    shares an origin with whatever it fetches from that name. The server answers no such Host."""
    from selenium.webdriver.common.by import By

    rebound = server.replace("127.0.0.1", "evil.test")
    browser.get(rebound)
    assert "is not served" in browser.find_element(By.TAG_NAME, "body").text
    fetch = """const done = arguments[arguments.length - 1];
        Promise.all(['/api/videos', '/api/jobs'].map((u) => fetch(u).then(async (r) => [r.status, await r.text()])))
            .then(done, (e) => done(String(e)));"""
    answers = browser.execute_async_script(fetch)
    assert [status for status, _ in answers] == [403, 403], answers
    assert all("is not served" in body and "harbor" not in body for _, body in answers)
    posted = browser.execute_async_script("""const done = arguments[arguments.length - 1];
        fetch('/api/index', {method: 'POST', headers: {'Content-Type': 'application/json'},
                             body: JSON.stringify({path: 'harbor.mp4'})})
            .then((r) => done(r.status), (e) => done(String(e)));""")
    assert posted == 403


def test_the_page_offers_the_transcript_as_a_download(server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server)
    link = WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "export-srt").is_displayed()
                                            and d.find_element(By.ID, "export-srt"))
    assert link.get_attribute("href").endswith("/export?format=srt") and link.get_attribute("download") is not None
    text = browser.execute_script("return fetch(arguments[0]).then((r) => r.text())", link.get_attribute("href"))
    assert "00:00:12,000 --> 00:00:15,000\nThe lighthouse keeper is named Ada Brooks." in text


def test_the_scene_strip_shows_each_shot_and_a_click_seeks_the_player_there(server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(server)
    cards = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#scenes li"))
    spans = [(float(c.get_attribute("data-start")), float(c.get_attribute("data-end"))) for c in cards]
    assert spans == [(0.0, 10.0), (10.0, 16.0), (16.0, 20.0)]  # the three coloured shots of harbor.mp4
    said = [c.find_element(By.CSS_SELECTOR, ".said").text for c in cards]
    assert said == ["GUIDE: Welcome aboard the harbor tour.", "The lighthouse keeper is named Ada Brooks.",
                    "We return to the pier at noon."]
    pictures = wait.until(lambda d: [i for i in d.find_elements(By.CSS_SELECTOR, "#scenes img")
                                     if d.execute_script("return arguments[0].naturalWidth", i) > 0])
    assert len(pictures) == 3
    browser.execute_script("""
        window.__seeked = null;
        document.getElementById('player').addEventListener('seeked',
            (e) => { window.__seeked = e.target.currentTime; }, {once: true});""")
    cards[1].click()
    seeked = wait.until(lambda d: d.execute_script("return window.__seeked"))
    assert 10.0 <= seeked < 16.0
    browser.execute_script("document.getElementById('player').pause()")
    wait.until(lambda d: "now" in d.find_elements(By.CSS_SELECTOR, "#scenes li")[1].get_attribute("class"))
    assert [("now" in c.get_attribute("class")) for c in cards] == [False, True, False]
    SCENES_SHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCENES_SHOT))
