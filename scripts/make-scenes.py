#!/usr/bin/env python3
"""Draws the templates' scene images: assets/templates/<id>/scenes/*.jpg (1080x1920).

Every scene is painted procedurally with Pillow: gradients, soft light, blurred shapes and a
little grain, so they read as illustrated places. A fixed seed per scene keeps the output the
same from run to run (no Pillow noise effects, which use an unseeded generator).

Usage (from the repository root):
    python3 -m venv .cache/venv && .cache/venv/bin/pip install pillow
    .cache/venv/bin/python scripts/make-scenes.py            # all scenes
    .cache/venv/bin/python scripts/make-scenes.py stage      # only ids containing "stage"
"""

import math
import os
import random
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

W, H = 1080, 1920
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = os.path.join(ROOT, "assets", "templates")
FONT = os.path.join(ROOT, "assets", "fonts", "DejaVuSans-Bold.ttf")
QUALITY = 80


# ----------------------------------------------------------------------------- helpers


def mix(a, b, t):
    return tuple(int(round(a[i] + (b[i] - a[i]) * t)) for i in range(3))


def gradient(size, stops, vertical=True):
    """Multi-stop linear gradient; stops are (position 0..1, (r, g, b))."""
    w, h = size
    n = h if vertical else w
    strip = Image.new("RGB", (1, n) if vertical else (n, 1))
    px = strip.load()
    for i in range(n):
        t = i / max(1, n - 1)
        for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
            if p0 <= t <= p1:
                c = mix(c0, c1, (t - p0) / max(1e-6, p1 - p0))
                break
        else:
            c = stops[0][1] if t < stops[0][0] else stops[-1][1]
        px[(0, i) if vertical else (i, 0)] = c
    return strip.resize(size, Image.BILINEAR)


def radial_mask(radius, power=1.6, scale_y=1.0):
    """L mask, 255 in the centre fading to 0 at the radius."""
    g = ImageOps.invert(Image.radial_gradient("L"))  # 256x256, centre 255
    g = g.point(lambda v: int(255 * max(0.0, (v - 127) / 128) ** power))
    return g.resize((max(1, int(radius * 2)), max(1, int(radius * 2 * scale_y))), Image.BILINEAR)


def glow(img, center, radius, color, strength=1.0, power=1.6, scale_y=1.0):
    """Adds light (screen blend) around a point."""
    mask = radial_mask(radius, power, scale_y)
    if strength != 1.0:
        mask = mask.point(lambda v: int(min(255, v * strength)))
    layer = Image.new("RGB", img.size, (0, 0, 0))
    solid = Image.new("RGB", mask.size, color)
    layer.paste(solid, (int(center[0] - mask.size[0] / 2), int(center[1] - mask.size[1] / 2)), mask)
    return ImageChops.screen(img, layer)


def shade(img, center, radius, strength=0.5, power=1.4, scale_y=1.0):
    """Darkens around a point (a soft shadow)."""
    mask = radial_mask(radius, power, scale_y).point(lambda v: int(v * strength))
    dark = Image.new("RGB", img.size, (0, 0, 0))
    full = Image.new("L", img.size, 0)
    full.paste(mask, (int(center[0] - mask.size[0] / 2), int(center[1] - mask.size[1] / 2)))
    return Image.composite(dark, img, full)


def layer():
    return Image.new("RGBA", (W, H), (0, 0, 0, 0))


def comp(img, lay, blur=0):
    if blur:
        lay = lay.filter(ImageFilter.GaussianBlur(blur))
    out = img.convert("RGBA")
    out.alpha_composite(lay)
    return out.convert("RGB")


def screen_layer(img, lay, blur=0):
    """Light drawn on a black RGB layer, screened onto the image."""
    if blur:
        lay = lay.filter(ImageFilter.GaussianBlur(blur))
    return ImageChops.screen(img, lay)


def fill_grad(img, box, stops, vertical=True, radius=0, mask=None):
    x0, y0, x1, y1 = [int(v) for v in box]
    if x1 <= x0 or y1 <= y0:
        return
    g = gradient((x1 - x0, y1 - y0), stops, vertical)
    if mask is None:
        mask = Image.new("L", g.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, g.size[0] - 1, g.size[1] - 1), radius, fill=255)
    img.paste(g, (x0, y0), mask)


def poly_grad(img, points, stops, vertical=True):
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, y0, x1, y1 = int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(mask).polygon([(x - x0, y - y0) for x, y in points], fill=255)
    fill_grad(img, (x0, y0, x1, y1), stops, vertical, mask=mask)


def noise(size, rng, amount, cell):
    """Seeded gaussian noise around 128, smoothed over cells of `cell` pixels."""
    w, h = size[0] // cell + 2, size[1] // cell + 2
    tile = Image.new("L", (w, h))
    tile.putdata([128 + int(rng.gauss(0, 1) * amount) for _ in range(w * h)])
    if cell > 1:
        tile = tile.resize((w * cell, h * cell), Image.BICUBIC)
    return tile.crop((0, 0) + size)


def texture(img, rng, mottle=4, fine=2):
    """Painted-paper mottling plus a touch of grain. Low-frequency texture costs little in JPEG,
    so it carries most of the look."""
    for amount, cell in ((mottle, 24), (fine, 1)):
        n = noise(img.size, rng, amount, cell)
        # Overlay: the change scales with brightness, so shadows stay clean.
        img = ImageChops.overlay(img, Image.merge("RGB", (n, n, n)))
    return img


def vignette(img, strength=0.45):
    mask = radial_mask(int(H * 0.75), power=0.9, scale_y=1.0).resize((int(W * 1.5), int(H * 1.2)))
    full = Image.new("L", img.size, 0)
    full.paste(mask, (int(W / 2 - mask.size[0] / 2), int(H / 2 - mask.size[1] / 2)))
    full = full.point(lambda v: int(255 - (255 - v) * strength))
    return ImageChops.multiply(img, Image.merge("RGB", (full, full, full)))


def font(size):
    return ImageFont.truetype(FONT, size)


def beam(draw, origin, target, width_far, color, width_near=6):
    """A light beam: a triangle-ish quad from a small origin to a wide far end."""
    ox, oy = origin
    tx, ty = target
    ang = math.atan2(ty - oy, tx - ox) + math.pi / 2
    dx, dy = math.cos(ang), math.sin(ang)
    pts = [
        (ox - dx * width_near, oy - dy * width_near),
        (ox + dx * width_near, oy + dy * width_near),
        (tx + dx * width_far, ty + dy * width_far),
        (tx - dx * width_far, ty - dy * width_far),
    ]
    draw.polygon(pts, fill=color)


def save(img, template, name, rng):
    img = texture(img, rng)
    path = os.path.join(TEMPLATES, template, "scenes", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img.save(path, "JPEG", quality=QUALITY, optimize=True, progressive=True, subsampling=2)
    print(f"{os.path.relpath(path, ROOT)}  {os.path.getsize(path) // 1024} KB")


# ----------------------------------------------------------------------------- bedroom


def fairy_lights(img, rng, y0, sag, color=(255, 200, 120), count=22, x0=-20, x1=W + 20):
    d = ImageDraw.Draw(img)
    pts = []
    for i in range(count + 1):
        t = i / count
        x = x0 + (x1 - x0) * t
        y = y0 + sag * 4 * t * (1 - t)
        pts.append((x, y))
    d.line(pts, fill=(40, 34, 30), width=3)
    light = Image.new("RGB", img.size, (0, 0, 0))
    ld = ImageDraw.Draw(light)
    for x, y in pts[1:-1]:
        yy = y + 10
        c = mix(color, (255, 240, 210), rng.random() * 0.4)
        ld.ellipse((x - 7, yy - 9, x + 7, yy + 9), fill=c)
    halo = light.filter(ImageFilter.GaussianBlur(22))
    img = ImageChops.screen(img, halo)
    img = ImageChops.screen(img, halo)
    return ImageChops.screen(img, light.filter(ImageFilter.GaussianBlur(2)))


def poster(img, rng, box, palette, angle=0):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    p = Image.new("RGB", (w, h), palette[0])
    d = ImageDraw.Draw(p)
    kind = rng.choice(["sun", "stripes", "circles", "waves"])
    if kind == "sun":
        p = gradient((w, h), [(0, palette[0]), (1, palette[1])])
        d = ImageDraw.Draw(p)
        r = w * 0.3
        d.ellipse((w / 2 - r, h * 0.42 - r, w / 2 + r, h * 0.42 + r), fill=palette[2])
        for i in range(5):
            y = h * 0.62 + i * h * 0.05
            d.rectangle((0, y, w, y + h * 0.022), fill=palette[1])
    elif kind == "stripes":
        for i in range(6):
            d.rectangle((0, i * h / 6, w, (i + 0.55) * h / 6), fill=palette[(i % 2) + 1])
    elif kind == "circles":
        for _ in range(7):
            r = rng.uniform(0.1, 0.3) * w
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rng.choice(palette[1:]))
    else:
        p = gradient((w, h), [(0, palette[1]), (1, palette[0])])
        d = ImageDraw.Draw(p)
        for i in range(8):
            pts = [(x, h * (0.3 + i * 0.08) + math.sin(x / w * 6.28 + i) * h * 0.03) for x in range(0, w + 10, 10)]
            d.line(pts, fill=palette[2], width=max(2, w // 40))
    # Title bars, a white border and tape.
    d.rectangle((w * 0.1, h * 0.86, w * 0.7, h * 0.89), fill=(245, 240, 230))
    d.rectangle((w * 0.1, h * 0.91, w * 0.45, h * 0.925), fill=(245, 240, 230))
    framed = Image.new("RGB", (w + 16, h + 16), (240, 236, 228))
    framed.paste(p, (8, 8))
    framed = framed.convert("RGBA").rotate(angle, resample=Image.BICUBIC, expand=True)
    shadow = Image.new("RGBA", framed.size, (0, 0, 0, 0))
    shadow.paste((0, 0, 0, 90), (0, 0), framed.split()[3])
    out = img.convert("RGBA")
    out.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(10)), (x0 + 10, y0 + 14))
    out.alpha_composite(framed, (x0, y0))
    d = ImageDraw.Draw(out)
    d.rectangle((x0 + w / 2 - 30, y0 - 10, x0 + w / 2 + 30, y0 + 14), fill=(235, 225, 190, 200))
    return out.convert("RGB")


def bedroom(variant, rng):
    night, morning, dusk = variant == 0, variant == 1, variant == 2
    wall = {
        0: [(0, (46, 44, 70)), (0.7, (74, 62, 86)), (1, (88, 70, 84))],
        1: [(0, (236, 222, 200)), (0.7, (226, 206, 182)), (1, (214, 192, 168))],
        2: [(0, (112, 92, 140)), (0.7, (150, 112, 146)), (1, (168, 120, 136))],
    }[variant]
    floor_y = 1430
    img = gradient((W, H), wall)
    d = ImageDraw.Draw(img)
    # Wallpaper texture: faint vertical stripes.
    tex = layer()
    td = ImageDraw.Draw(tex)
    for x in range(0, W, 54):
        td.rectangle((x, 0, x + 20, floor_y), fill=(255, 255, 255, 10 if not night else 6))
    img = comp(img, tex)

    # Window with sky.
    wx0, wy0, wx1, wy1 = 90, 300, 540, 980
    sky = {
        0: [(0, (12, 18, 48)), (1, (42, 48, 96))],
        1: [(0, (150, 200, 240)), (1, (236, 240, 236))],
        2: [(0, (60, 50, 120)), (0.55, (236, 120, 110)), (1, (255, 196, 120))],
    }[variant]
    fill_grad(img, (wx0, wy0, wx1, wy1), sky)
    d = ImageDraw.Draw(img)
    if night:
        for _ in range(70):
            x, y = rng.uniform(wx0, wx1), rng.uniform(wy0, wy1 - 120)
            r = rng.choice([1, 1, 1.5, 2])
            d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 250, 230))
        img = glow(img, (420, 420), 120, (120, 130, 170), 0.8)
        d = ImageDraw.Draw(img)
        d.ellipse((385, 385, 455, 455), fill=(250, 246, 226))
        # Rooftops outside.
        for i in range(6):
            x = wx0 + i * 80
            top = wy1 - rng.randint(90, 200)
            d.rectangle((x, top, x + 70, wy1), fill=(14, 16, 34))
            for _ in range(3):
                lx, ly = x + rng.randint(10, 50), top + rng.randint(15, 80)
                d.rectangle((lx, ly, lx + 10, ly + 14), fill=(255, 206, 120))
    elif morning:
        for _ in range(4):
            cx, cy = rng.uniform(wx0, wx1), rng.uniform(wy0 + 60, wy0 + 360)
            cl = layer()
            cd = ImageDraw.Draw(cl)
            for _ in range(6):
                r = rng.uniform(28, 60)
                ox, oy = rng.uniform(-70, 70), rng.uniform(-16, 16)
                cd.ellipse((cx + ox - r, cy + oy - r * 0.7, cx + ox + r, cy + oy + r * 0.7), fill=(255, 255, 255, 200))
            img = comp(img, cl, blur=8)
        d = ImageDraw.Draw(img)
        # Trees outside, soft.
        tl = layer()
        tdr = ImageDraw.Draw(tl)
        for _ in range(30):
            r = rng.uniform(40, 90)
            x, y = rng.uniform(wx0 - 40, wx1 + 40), rng.uniform(wy1 - 220, wy1)
            tdr.ellipse((x - r, y - r, x + r, y + r), fill=(120, 170, 110, 220))
        img = comp(img, tl, blur=6)
    else:
        img = glow(img, (260, 860), 160, (255, 220, 150), 1.0)
        d = ImageDraw.Draw(img)
        d.ellipse((215, 815, 305, 905), fill=(255, 236, 190))
        for i in range(5):
            x = wx0 + i * 95
            top = wy1 - rng.randint(60, 170)
            d.rectangle((x, top, x + 85, wy1), fill=(70, 40, 80))
    # Window frame and sill.
    d = ImageDraw.Draw(img)
    frame = (250, 246, 238) if not night else (170, 164, 170)
    d.rectangle((wx0 - 18, wy0 - 18, wx1 + 18, wy1 + 18), outline=frame, width=18)
    d.rectangle(((wx0 + wx1) / 2 - 7, wy0, (wx0 + wx1) / 2 + 7, wy1), fill=frame)
    d.rectangle((wx0, (wy0 + wy1) / 2 - 7, wx1, (wy0 + wy1) / 2 + 7), fill=frame)
    d.rectangle((wx0 - 40, wy1 + 14, wx1 + 40, wy1 + 40), fill=mix(frame, (0, 0, 0), 0.1))

    # Morning: sun shafts across the room.
    if morning:
        sh = Image.new("RGB", (W, H), (0, 0, 0))
        sd = ImageDraw.Draw(sh)
        sd.polygon([(wx0, wy0), (wx1, wy0), (W + 300, 1500), (380, 1700)], fill=(110, 90, 50))
        img = screen_layer(img, sh, blur=40)
    # Curtains.
    cur = {0: (120, 70, 90), 1: (226, 160, 140), 2: (80, 60, 120)}[variant]
    for cx0, cx1 in ((wx0 - 80, wx0 + 40), (wx1 - 40, wx1 + 80)):
        fill_grad(img, (cx0, wy0 - 60, cx1, wy1 + 90), [(0, mix(cur, (255, 255, 255), 0.15)), (1, mix(cur, (0, 0, 0), 0.25))], vertical=False)
        fl = layer()
        fd = ImageDraw.Draw(fl)
        for x in range(cx0 + 10, cx1, 26):
            fd.line((x, wy0 - 60, x, wy1 + 90), fill=(0, 0, 0, 50), width=6)
        img = comp(img, fl, blur=5)
    d = ImageDraw.Draw(img)
    d.rectangle((wx0 - 110, wy0 - 80, wx1 + 110, wy0 - 64), fill=(60, 50, 50))

    # Posters.
    palettes = [
        [(250, 208, 150), (232, 110, 90), (255, 236, 200)],
        [(40, 60, 110), (236, 150, 170), (255, 230, 150)],
        [(30, 120, 120), (250, 200, 90), (240, 240, 230)],
    ]
    rng.shuffle(palettes)
    img = poster(img, rng, (640, 300, 960, 740), palettes[0], angle=rng.uniform(-3, 3))
    img = poster(img, rng, (690, 800, 900, 1080), palettes[1], angle=rng.uniform(-4, 4))
    img = poster(img, rng, (560, 860, 660, 1000), palettes[2], angle=rng.uniform(-5, 5))

    # Floor: planks.
    fl = {0: [(0, (70, 50, 44)), (1, (40, 28, 26))], 1: [(0, (196, 156, 114)), (1, (150, 110, 80))], 2: [(0, (120, 80, 80)), (1, (70, 44, 54))]}[variant]
    fill_grad(img, (0, floor_y, W, H), fl)
    d = ImageDraw.Draw(img)
    for i in range(-12, 14):
        x_top = W / 2 + i * 70
        x_bot = W / 2 + i * 150
        d.line((x_top, floor_y, x_bot, H), fill=mix(fl[1][1], (0, 0, 0), 0.25), width=3)
    d.rectangle((0, floor_y - 16, W, floor_y), fill=mix(wall[-1][1], (255, 255, 255), 0.3))

    # Rug.
    rug = layer()
    rd = ImageDraw.Draw(rug)
    rc = {0: (150, 90, 110), 1: (120, 150, 170), 2: (230, 170, 120)}[variant]
    rd.ellipse((120, 1640, 1000, 1880), fill=rc + (235,))
    rd.ellipse((180, 1670, 940, 1850), outline=mix(rc, (255, 255, 255), 0.35) + (220,), width=10)
    img = comp(img, rug, blur=2)

    # Bed: headboard, mattress, duvet, pillows (right of centre, running towards the viewer).
    d = ImageDraw.Draw(img)
    head = {0: (90, 70, 80), 1: (150, 120, 100), 2: (90, 60, 90)}[variant]
    d.rounded_rectangle((380, 1060, 1080, 1300), 40, fill=head)
    fill_grad(img, (380, 1060, 1080, 1300), [(0, mix(head, (255, 255, 255), 0.12)), (1, mix(head, (0, 0, 0), 0.3))], radius=40)
    duvet = {0: (180, 170, 200), 1: (246, 242, 236), 2: (236, 190, 200)}[variant]
    poly_grad(img, [(350, 1260), (1080, 1260), (1080, 1640), (260, 1640)], [(0, mix(duvet, (255, 255, 255), 0.2)), (1, mix(duvet, (0, 0, 0), 0.2))])
    d = ImageDraw.Draw(img)
    for x0 in (430, 720):
        d.rounded_rectangle((x0, 1190, x0 + 250, 1300), 45, fill=mix(duvet, (255, 255, 255), 0.35))
        d.rounded_rectangle((x0 + 10, 1200, x0 + 240, 1240), 30, fill=mix(duvet, (255, 255, 255), 0.55))
    # Duvet folds and a blanket across the foot.
    fold = layer()
    fd = ImageDraw.Draw(fold)
    for i in range(5):
        y = 1330 + i * 55
        fd.arc((300 + i * 10, y - 30, 1100, y + 50), 190, 340, fill=(0, 0, 0, 40), width=8)
    img = comp(img, fold, blur=6)
    blanket = {0: (110, 80, 140), 1: (230, 170, 120), 2: (120, 90, 150)}[variant]
    poly_grad(img, [(300, 1520), (1080, 1500), (1080, 1660), (250, 1680)], [(0, blanket), (1, mix(blanket, (0, 0, 0), 0.3))])
    d = ImageDraw.Draw(img)
    for x in range(290, 1080, 40):
        d.line((x, 1520, x - 10, 1680), fill=mix(blanket, (255, 255, 255), 0.2), width=4)

    # Nightstand, books and lamp.
    ns = {0: (80, 56, 50), 1: (170, 130, 96), 2: (100, 66, 80)}[variant]
    d.rectangle((40, 1250, 300, 1560), fill=ns)
    d.rectangle((40, 1250, 300, 1276), fill=mix(ns, (255, 255, 255), 0.2))
    d.rectangle((60, 1320, 280, 1330), fill=mix(ns, (0, 0, 0), 0.3))
    d.ellipse((150, 1350, 170, 1370), fill=(220, 200, 150))
    for i, c in enumerate([(200, 80, 70), (70, 120, 160), (230, 190, 90)]):
        d.rectangle((70, 1232 - i * 20, 200 - i * 12, 1250 - i * 20), fill=c)
    d.rectangle((225, 1080, 240, 1250), fill=(60, 50, 46))
    d.ellipse((200, 1236, 265, 1256), fill=(60, 50, 46))
    shade_c = {0: (255, 210, 150), 1: (250, 236, 210), 2: (255, 200, 170)}[variant]
    d.polygon([(170, 1090), (295, 1090), (270, 990), (195, 990)], fill=shade_c)
    lamp_strength = {0: 1.0, 1: 0.35, 2: 0.75}[variant]
    img = glow(img, (232, 1060), 360, (255, 170, 80), 0.9 * lamp_strength, power=1.3)
    img = glow(img, (232, 1040), 110, (255, 230, 170), lamp_strength)

    # Plant in the corner.
    d = ImageDraw.Draw(img)
    px, py = 470, wy1 + 14
    d.polygon([(px - 42, py - 70), (px + 42, py - 70), (px + 32, py), (px - 32, py)], fill=(190, 110, 80))
    pl = layer()
    pd = ImageDraw.Draw(pl)
    for _ in range(12):
        a = rng.uniform(-2.7, -0.4)
        ln = rng.uniform(60, 140)
        x, y = px + math.cos(a) * ln, py - 70 + math.sin(a) * ln
        pd.line((px, py - 70, x, y), fill=(50, 100, 60, 255), width=4)
        pd.ellipse((x - 18, y - 10, x + 18, y + 10), fill=(70, 140, 80, 255) if rng.random() < 0.5 else (50, 116, 66, 255))
    img = comp(img, pl, blur=1)

    # Fairy lights along the top.
    if night or dusk:
        img = fairy_lights(img, rng, 170, 140)
        img = fairy_lights(img, rng, 1010, 60, color=(255, 190, 140), count=14, x0=380, x1=1080)
    else:
        img = fairy_lights(img, rng, 170, 140, color=(255, 220, 170))

    # Overall light: warm pool at the lamp, cooler corners.
    if night:
        img = shade(img, (W, 0), 700, 0.35)
    img = vignette(img, 0.35)
    return img


# ----------------------------------------------------------------------------- outside


def clouds(img, rng, n, y_range, color=(255, 255, 255), alpha=210, scale=1.0):
    cl = layer()
    cd = ImageDraw.Draw(cl)
    for _ in range(n):
        cx, cy = rng.uniform(-100, W + 100), rng.uniform(*y_range)
        for _ in range(9):
            r = rng.uniform(40, 110) * scale
            ox, oy = rng.uniform(-160, 160) * scale, rng.uniform(-25, 25) * scale
            cd.ellipse((cx + ox - r, cy + oy - r * 0.6, cx + ox + r, cy + oy + r * 0.6), fill=color + (alpha,))
    return comp(img, cl, blur=14)


def tree(img, rng, x, base_y, size, leaf, trunk=(70, 50, 40), light_dir=1):
    d = ImageDraw.Draw(img)
    d.polygon([(x - size * 0.07, base_y), (x + size * 0.07, base_y), (x + size * 0.04, base_y - size * 0.9), (x - size * 0.04, base_y - size * 0.9)], fill=trunk)
    can = layer()
    cd = ImageDraw.Draw(can)
    cy = base_y - size * 1.05
    for i in range(26):
        r = rng.uniform(0.18, 0.34) * size
        ox, oy = rng.gauss(0, 0.28) * size, rng.gauss(0, 0.24) * size
        t = 0.5 + 0.5 * (ox * light_dir - oy) / size
        c = mix(mix(leaf, (0, 0, 0), 0.35), mix(leaf, (255, 240, 180), 0.3), max(0, min(1, t)))
        cd.ellipse((x + ox - r, cy + oy - r, x + ox + r, cy + oy + r), fill=c + (255,))
    return comp(img, can, blur=max(1, size / 120))


def outside(variant, rng):
    if variant == 0:
        # Sunny street lined with trees.
        img = gradient((W, H), [(0, (70, 140, 220)), (0.5, (160, 206, 240)), (0.62, (226, 236, 240)), (1, (226, 236, 240))])
        img = glow(img, (860, 300), 520, (255, 240, 190), 0.9, power=1.2)
        img = glow(img, (860, 300), 90, (255, 255, 240), 1.0, power=0.6)
        img = clouds(img, rng, 6, (420, 800))
        horizon = 1120
        d = ImageDraw.Draw(img)
        # Distant hills and buildings.
        poly_grad(img, [(0, horizon - 60)] + [(x, horizon - 90 - 40 * math.sin(x / 170)) for x in range(0, W + 60, 60)] + [(W, horizon)], [(0, (150, 180, 170)), (1, (130, 160, 150))])
        d = ImageDraw.Draw(img)
        for i in range(12):
            x = i * 95 + rng.randint(-10, 10)
            h = rng.randint(60, 170)
            col = mix((190, 200, 210), (150, 160, 180), rng.random())
            d.rectangle((x, horizon - h, x + 80, horizon), fill=col)
            for wy in range(horizon - h + 14, horizon - 10, 26):
                for wx in range(x + 10, x + 70, 22):
                    d.rectangle((wx, wy, wx + 10, wy + 12), fill=mix(col, (255, 255, 255), 0.35))
        vp = (540, horizon)
        # Road, pavements, grass verges.
        poly_grad(img, [(0, horizon), (W, horizon), (W, H), (0, H)], [(0, (150, 176, 110)), (1, (88, 140, 70))])
        poly_grad(img, [(vp[0] - 10, horizon), (vp[0] + 10, horizon), (W + 560, H), (-560, H)], [(0, (150, 150, 156)), (1, (86, 88, 96))])
        d = ImageDraw.Draw(img)
        for side in (-1, 1):
            d.polygon([(vp[0] + side * 10, horizon), (vp[0] + side * 24, horizon), (vp[0] + side * (560 + 420), H), (vp[0] + side * (560 + 100), H)] if side > 0 else
                      [(vp[0] - 24, horizon), (vp[0] - 10, horizon), (vp[0] - 660, H), (vp[0] - 980, H)], fill=(200, 196, 186))
        for i in range(12):
            t0 = (i / 12) ** 2
            t1 = ((i + 0.5) / 12) ** 2
            y0, y1 = horizon + (H - horizon) * t0, horizon + (H - horizon) * t1
            w0, w1 = 2 + 14 * t0, 2 + 14 * t1
            d.polygon([(540 - w0, y0), (540 + w0, y0), (540 + w1, y1), (540 - w1, y1)], fill=(250, 246, 230))
        # Street lamps and trees on both sides, nearer = bigger.
        for i in range(6, -1, -1):
            t = (i + 1) / 7
            t = t ** 2
            y = horizon + (H - horizon) * t
            for side in (-1, 1):
                x = 540 + side * (30 + 920 * t)
                size = 60 + 760 * t
                img = tree(img, rng, x + side * size * 0.2, y, size, (80, 150, 70), light_dir=1)
        d = ImageDraw.Draw(img)
        # Sun flare.
        for k, (t, r, a) in enumerate([(0.3, 40, 0.3), (0.55, 22, 0.25), (0.8, 60, 0.15)]):
            cx, cy = 860 + (540 - 860) * t * 2, 300 + (1100 - 300) * t * 2
            img = glow(img, (cx, cy), r, (255, 220, 170), a)
    elif variant == 1:
        # Golden-hour park: low sun, rolling hills, a big tree, a path.
        img = gradient((W, H), [(0, (60, 80, 150)), (0.35, (230, 150, 120)), (0.55, (255, 204, 130)), (1, (255, 204, 130))])
        img = glow(img, (640, 930), 640, (255, 190, 110), 1.0, power=1.1)
        img = glow(img, (640, 930), 80, (255, 250, 220), 1.0, power=0.5)
        img = clouds(img, rng, 5, (300, 700), color=(255, 190, 170), alpha=160)
        horizon = 1000
        for k, (col, amp, off) in enumerate([((180, 130, 120), 50, 0), ((140, 110, 90), 70, 90), ((100, 100, 60), 60, 210)]):
            pts = [(x, horizon + off - amp * (0.5 + 0.5 * math.sin(x / (220 + k * 60) + k * 2))) for x in range(0, W + 30, 30)]
            poly_grad(img, [(0, H)] + pts + [(W, H)], [(0, col), (1, mix(col, (40, 40, 20), 0.5))])
        # Grass texture.
        gl = layer()
        gd = ImageDraw.Draw(gl)
        for _ in range(2200):
            x, y = rng.uniform(0, W), rng.uniform(1200, H)
            ln = 8 + (y - 1200) / 40
            gd.line((x, y, x + rng.uniform(-4, 4), y - ln), fill=(60, 80, 30, 120) if rng.random() < 0.6 else (230, 190, 100, 110), width=2)
        img = comp(img, gl)
        # Winding path.
        path = [(540 + 260 * math.sin(t * 3.2) * (1 - t), 1240 + (H - 1240) * t ** 1.6) for t in [i / 40 for i in range(41)]]
        left = [(x - 6 - 260 * ((y - 1240) / (H - 1240)), y) for x, y in path]
        right = [(x + 6 + 260 * ((y - 1240) / (H - 1240)), y) for x, y in path]
        poly_grad(img, left + right[::-1], [(0, (230, 200, 150)), (1, (200, 160, 110))])
        img = tree(img, rng, 20, 1500, 760, (90, 110, 50), light_dir=1)
        img = tree(img, rng, 980, 1120, 300, (110, 120, 60), light_dir=-1)
        img = tree(img, rng, 300, 1060, 150, (120, 120, 70), light_dir=1)
        # Bench and lamp silhouettes.
        d = ImageDraw.Draw(img)
        d.rectangle((720, 1350, 960, 1365), fill=(60, 40, 30))
        d.rectangle((720, 1320, 960, 1332), fill=(60, 40, 30))
        for x in (735, 940):
            d.rectangle((x, 1365, x + 10, 1420), fill=(50, 34, 26))
        img = glow(img, (640, 930), 220, (255, 200, 120), 0.5)
        # Floating light specks.
        for _ in range(40):
            x, y = rng.uniform(0, W), rng.uniform(700, 1500)
            img = glow(img, (x, y), rng.uniform(4, 14), (255, 230, 170), 0.6) if rng.random() < 0.3 else img
    else:
        # Dusk city street: pink sky, skyline with lit windows, lamps, light trails.
        img = gradient((W, H), [(0, (40, 40, 100)), (0.35, (150, 90, 150)), (0.52, (250, 150, 130)), (1, (250, 170, 140))])
        img = glow(img, (540, 1000), 500, (255, 160, 120), 0.7)
        d = ImageDraw.Draw(img)
        for _ in range(60):
            x, y = rng.uniform(0, W), rng.uniform(0, 520)
            r = rng.choice([1, 1, 1.5, 2])
            d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 240, 230))
        img = glow(img, (800, 300), 140, (200, 180, 220), 0.7)
        d = ImageDraw.Draw(img)
        d.ellipse((760, 260, 840, 340), fill=(255, 246, 226))
        d.ellipse((782, 250, 862, 330), fill=(62, 52, 110))
        img = clouds(img, rng, 5, (560, 800), color=(255, 170, 170), alpha=120, scale=0.8)
        horizon = 1100
        d = ImageDraw.Draw(img)
        for layer_i, (col, hmin, hmax, wmin) in enumerate([((90, 70, 120), 250, 520, 70), ((50, 40, 80), 150, 420, 90)]):
            x = -20
            while x < W:
                w = rng.randint(wmin, wmin + 90)
                h = rng.randint(hmin, hmax)
                d.rectangle((x, horizon - h, x + w, horizon), fill=col)
                if layer_i == 1:
                    for wy in range(horizon - h + 20, horizon - 20, 30):
                        for wx in range(x + 10, x + w - 14, 24):
                            if rng.random() < 0.45:
                                d.rectangle((wx, wy, wx + 12, wy + 16), fill=rng.choice([(255, 214, 140), (255, 190, 120), (240, 230, 200)]))
                x += w + rng.randint(0, 12)
        vp = (540, horizon)
        poly_grad(img, [(0, horizon), (W, horizon), (W, H), (0, H)], [(0, (60, 50, 80)), (1, (30, 26, 44))])
        poly_grad(img, [(vp[0] - 20, horizon), (vp[0] + 20, horizon), (W + 500, H), (-500, H)], [(0, (80, 70, 100)), (1, (44, 40, 60))])
        # Light trails.
        tr = Image.new("RGB", (W, H), (0, 0, 0))
        td = ImageDraw.Draw(tr)
        for k in range(4):
            off = -200 + k * 40
            td.line([(540 - 6 + k * 3, horizon + 4), (540 + off - 300, H)], fill=(255, 60, 50), width=5 + k)
            td.line([(540 + 6 + k * 3, horizon + 4), (540 - off + 300, H)], fill=(255, 240, 210), width=5 + k)
        img = screen_layer(img, tr.filter(ImageFilter.GaussianBlur(3)))
        img = screen_layer(img, tr, blur=16)
        # Trees (dark) and street lamps.
        for i in range(5, -1, -1):
            t = ((i + 1) / 6) ** 2
            y = horizon + (H - horizon) * t
            for side in (-1, 1):
                x = 540 + side * (60 + 900 * t)
                size = 50 + 650 * t
                img = tree(img, rng, x + side * size * 0.35, y, size, (40, 50, 60), trunk=(30, 26, 34))
                d = ImageDraw.Draw(img)
                lx = x - side * size * 0.05
                d.rectangle((lx - 3 - 5 * t, y - size * 1.25, lx + 3 + 5 * t, y), fill=(30, 30, 40))
                img = glow(img, (lx, y - size * 1.25), 30 + 120 * t, (255, 200, 130), 1.0)
        img = vignette(img, 0.3)
    return img


# ----------------------------------------------------------------------------- stage


def truss(img, x0, y0, x1, y1, color=(120, 120, 130)):
    d = ImageDraw.Draw(img)
    horizontal = (x1 - x0) > (y1 - y0)
    d.rectangle((x0, y0, x1, y1), outline=color, width=5)
    step = (y1 - y0) if horizontal else (x1 - x0)
    if horizontal:
        for x in range(int(x0), int(x1), int(step)):
            d.line((x, y0, x + step, y1), fill=color, width=4)
            d.line((x + step, y0, x, y1), fill=color, width=3)
    else:
        for y in range(int(y0), int(y1), int(step)):
            d.line((x0, y, x1, y + step), fill=color, width=4)
            d.line((x1, y, x0, y + step), fill=color, width=3)


def crowd(img, rng, y_top, rows=4, tint=(40, 34, 56)):
    d = ImageDraw.Draw(img)
    for row in range(rows):
        t = row / max(1, rows - 1)
        y = y_top + t * (H - y_top) * 0.8
        scale = 0.7 + t * 0.9
        col = mix(tint, (4, 4, 8), 0.35 + 0.65 * t)
        x = -40
        while x < W + 40:
            hr = rng.uniform(26, 34) * scale
            sw = hr * rng.uniform(2.2, 2.8)
            cy = y + rng.uniform(-12, 12) * scale
            d.ellipse((x - hr, cy - hr * 1.15, x + hr, cy + hr * 1.15), fill=col)
            d.rounded_rectangle((x - sw, cy + hr * 0.9, x + sw, H + 10), int(hr), fill=col)
            if rng.random() < 0.22:
                side = rng.choice((-1, 1))
                hx = x + side * sw * 0.7
                top = cy - hr * rng.uniform(2.2, 3.6)
                d.line((hx, cy + hr * 1.2, hx + side * 10 * scale, top), fill=col, width=int(12 * scale))
                d.ellipse((hx + side * 10 * scale - 9 * scale, top - 12 * scale, hx + side * 10 * scale + 9 * scale, top + 6 * scale), fill=col)
                if rng.random() < 0.4:
                    px, py = hx + side * 10 * scale, top - 18 * scale
                    img = glow(img, (px, py), 26 * scale, (200, 220, 255), 0.8)
                    d = ImageDraw.Draw(img)
                    d.rectangle((px - 7 * scale, py - 12 * scale, px + 7 * scale, py + 10 * scale), fill=(220, 230, 255))
            x += sw * rng.uniform(0.9, 1.3)
    return img


def stage(variant, rng):
    palettes = {
        0: [(90, 60, 255), (255, 60, 200), (60, 200, 255)],
        1: [(255, 170, 60), (255, 120, 40), (255, 220, 150)],
        2: [(255, 40, 60), (255, 255, 255), (255, 90, 40)],
    }
    pal = palettes[variant]
    bg = {0: [(0, (10, 6, 30)), (0.6, (30, 14, 60)), (1, (6, 4, 16))], 1: [(0, (20, 10, 6)), (0.6, (60, 30, 14)), (1, (10, 6, 4))], 2: [(0, (16, 4, 8)), (0.6, (40, 10, 16)), (1, (6, 2, 4))]}[variant]
    img = gradient((W, H), bg)
    stage_y = 1360
    # Backdrop: LED wall of glowing cells, or a sunburst.
    if variant == 0:
        led = Image.new("RGB", (W, H), (0, 0, 0))
        ld = ImageDraw.Draw(led)
        for gy in range(330, stage_y - 40, 46):
            for gx in range(120, W - 120, 46):
                t = (math.sin(gx / 140 + gy / 90) + 1) / 2
                c = mix(pal[0], pal[1], t)
                c = mix(c, (0, 0, 0), 0.55 + 0.35 * rng.random())
                ld.rectangle((gx, gy, gx + 38, gy + 38), fill=c)
        img = screen_layer(img, led)
        img = screen_layer(img, led, blur=20)
    elif variant == 1:
        sb = Image.new("RGB", (W, H), (0, 0, 0))
        sd = ImageDraw.Draw(sb)
        for k in range(28):
            a = k / 28 * math.pi * 2
            sd.polygon([(540, 820), (540 + math.cos(a) * 1600, 820 + math.sin(a) * 1600), (540 + math.cos(a + 0.08) * 1600, 820 + math.sin(a + 0.08) * 1600)], fill=(120, 70, 20))
        img = screen_layer(img, sb, blur=12)
        img = glow(img, (540, 820), 520, (255, 180, 90), 1.0, power=1.2)
    else:
        img = glow(img, (540, 760), 600, (160, 20, 40), 1.0, power=1.2)
        d = ImageDraw.Draw(img)
        for k in range(9):
            x = 120 + k * 105
            d.rectangle((x, 300, x + 16, stage_y), fill=(30, 8, 12))
    # Truss: a top span and two towers.
    img = glow(img, (540, 190), 700, pal[0], 0.25, scale_y=0.3)
    truss(img, 0, 150, W, 220)
    truss(img, 20, 220, 90, stage_y)
    truss(img, W - 90, 220, W - 20, stage_y)
    # Beams from lamps on the truss.
    beams = Image.new("RGB", (W, H), (0, 0, 0))
    bd = ImageDraw.Draw(beams)
    lamps = [140 + i * 160 for i in range(6)]
    for i, lx in enumerate(lamps):
        color = pal[i % len(pal)]
        tx = rng.uniform(100, W - 100) if variant != 1 else 540 + (lx - 540) * 2.2
        ty = stage_y + rng.uniform(-40, 200)
        beam(bd, (lx, 235), (tx, ty), rng.uniform(90, 150), mix(color, (0, 0, 0), 0.55), width_near=14)
    img = screen_layer(img, beams, blur=18)
    img = screen_layer(img, beams, blur=60)
    d = ImageDraw.Draw(img)
    for i, lx in enumerate(lamps):
        d.rounded_rectangle((lx - 26, 214, lx + 26, 262), 8, fill=(26, 26, 30))
        img = glow(img, (lx, 252), 60, pal[i % len(pal)], 1.0, power=0.9)
        img = glow(img, (lx, 252), 18, (255, 255, 255), 1.0, power=0.5)
        d = ImageDraw.Draw(img)
    # Side spotlights low on the towers.
    for x, a in ((90, -0.3), (W - 90, 0.3)):
        bl = Image.new("RGB", (W, H), (0, 0, 0))
        beam(ImageDraw.Draw(bl), (x, 560), (540 + a * 400, 760), 180, mix(pal[2], (0, 0, 0), 0.6), width_near=10)
        img = screen_layer(img, bl, blur=30)
    # Haze.
    hz = layer()
    hd = ImageDraw.Draw(hz)
    for _ in range(18):
        x, y = rng.uniform(0, W), rng.uniform(500, stage_y)
        r = rng.uniform(120, 300)
        hd.ellipse((x - r, y - r * 0.4, x + r, y + r * 0.4), fill=mix(pal[0], (255, 255, 255), 0.5) + (24,))
    img = comp(img, hz, blur=50)
    # Stage floor with reflections, monitors, speaker stacks.
    poly_grad(img, [(0, stage_y), (W, stage_y), (W, stage_y + 170), (0, stage_y + 170)], [(0, (30, 26, 34)), (1, (12, 10, 16))])
    refl = Image.new("RGB", (W, H), (0, 0, 0))
    rd = ImageDraw.Draw(refl)
    for i, lx in enumerate(lamps):
        rd.ellipse((lx - 70, stage_y + 30, lx + 70, stage_y + 90), fill=mix(pal[i % len(pal)], (0, 0, 0), 0.5))
    img = screen_layer(img, refl, blur=20)
    d = ImageDraw.Draw(img)
    d.rectangle((0, stage_y + 160, W, stage_y + 180), fill=(8, 8, 10))
    for x in (150, 880):
        d.polygon([(x - 70, stage_y + 150), (x + 70, stage_y + 150), (x + 50, stage_y + 90), (x - 50, stage_y + 90)], fill=(20, 20, 24))
    for x in (0, W - 150):
        d.rectangle((x, stage_y - 300, x + 150, stage_y + 160), fill=(14, 14, 18))
        for k in range(3):
            cy = stage_y - 240 + k * 140
            d.ellipse((x + 30, cy, x + 120, cy + 90), fill=(30, 30, 36))
            d.ellipse((x + 55, cy + 25, x + 95, cy + 65), fill=(10, 10, 12))
    # Mic stand, centre stage.
    d.line((540, stage_y + 120, 540, stage_y - 160), fill=(50, 50, 56), width=6)
    d.line((540, stage_y - 160, 600, stage_y - 210), fill=(50, 50, 56), width=5)
    # Light spilling off the stage edge, so the front rows read as silhouettes.
    spill = Image.new("RGB", (W, H), (0, 0, 0))
    ImageDraw.Draw(spill).rectangle((0, stage_y + 120, W, stage_y + 260), fill=mix(pal[0], (0, 0, 0), 0.35))
    img = screen_layer(img, spill, blur=40)
    img = crowd(img, rng, stage_y + 150, rows=4, tint=mix(pal[0], (0, 0, 0), 0.7))
    img = vignette(img, 0.4)
    return img


# ----------------------------------------------------------------------------- record store


SLEEVE_PALETTES = [
    [(230, 80, 70), (250, 210, 90), (30, 40, 60)],
    [(40, 120, 170), (240, 230, 210), (240, 120, 60)],
    [(30, 30, 34), (250, 80, 140), (250, 250, 250)],
    [(120, 190, 140), (40, 60, 50), (250, 230, 170)],
    [(250, 170, 60), (120, 40, 90), (250, 240, 220)],
    [(100, 80, 200), (250, 200, 220), (30, 30, 60)],
    [(240, 236, 226), (200, 40, 40), (20, 20, 20)],
    [(60, 160, 200), (250, 220, 60), (20, 60, 90)],
    [(200, 120, 80), (90, 50, 40), (240, 210, 170)],
]


def sleeve(rng, size):
    """A record sleeve with simple cover art."""
    w, h = size
    pal = rng.choice(SLEEVE_PALETTES)
    img = Image.new("RGB", (w, h), pal[0])
    d = ImageDraw.Draw(img)
    kind = rng.randrange(7)
    if kind == 0:
        r = w * rng.uniform(0.22, 0.36)
        d.ellipse((w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), fill=pal[1])
    elif kind == 1:
        for i in range(6):
            d.rectangle((0, i * h / 6, w, i * h / 6 + h / 12), fill=pal[1])
    elif kind == 2:
        img = gradient((w, h), [(0, pal[0]), (1, pal[1])])
        d = ImageDraw.Draw(img)
        d.polygon([(0, h), (w / 2, h * 0.35), (w, h)], fill=pal[2])
    elif kind == 3:
        for i in range(5, 0, -1):
            r = w * 0.09 * i
            d.ellipse((w / 2 - r, h * 0.55 - r, w / 2 + r, h * 0.55 + r), fill=pal[i % 2 + 1] if i % 2 else pal[0])
    elif kind == 4:
        d.rectangle((w * 0.12, h * 0.12, w * 0.88, h * 0.88), outline=pal[1], width=max(2, w // 25))
        d.rectangle((w * 0.3, h * 0.3, w * 0.7, h * 0.7), fill=pal[2])
    elif kind == 5:
        for i in range(8):
            d.line((i * w / 4 - w, h, i * w / 4, 0), fill=pal[1], width=max(2, w // 14))
    else:
        d.rectangle((0, h * 0.6, w, h), fill=pal[1])
        d.ellipse((w * 0.55, h * 0.15, w * 0.85, h * 0.45), fill=pal[2])
    # Title block.
    if rng.random() < 0.7:
        d.rectangle((w * 0.1, h * 0.08, w * (0.35 + rng.random() * 0.4), h * 0.08 + max(3, h * 0.05)), fill=pal[2])
    return img


def vinyl(img, cx, cy, r, label):
    d = ImageDraw.Draw(img)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(16, 16, 18))
    for k in range(8, int(r * 0.95), 7):
        d.ellipse((cx - k, cy - k, cx + k, cy + k), outline=(34, 34, 38), width=1)
    d.ellipse((cx - r * 0.34, cy - r * 0.34, cx + r * 0.34, cy + r * 0.34), fill=label)
    d.ellipse((cx - 6, cy - 6, cx + 6, cy + 6), fill=(10, 10, 10))
    sh = layer()
    ImageDraw.Draw(sh).pieslice((cx - r, cy - r, cx + r, cy + r), 200, 250, fill=(255, 255, 255, 40))
    return comp(img, sh, blur=6)


def shelf_wall(img, rng, y0, y1, x0=0, x1=W, wood=(120, 80, 50), faces=True):
    d = ImageDraw.Draw(img)
    rows = 3
    row_h = (y1 - y0) / rows
    for r in range(rows):
        top = y0 + r * row_h
        bottom = top + row_h - 22
        d.rectangle((x0, bottom, x1, bottom + 22), fill=wood)
        d.rectangle((x0, bottom, x1, bottom + 6), fill=mix(wood, (255, 255, 255), 0.25))
        x = x0 + 10
        while x < x1 - 20:
            if faces and rng.random() < 0.35:
                s = int(row_h * 0.78)
                img.paste(sleeve(rng, (s, s)), (int(x), int(bottom - s)))
                d = ImageDraw.Draw(img)
                x += s + 8
            else:
                # A run of spines.
                for _ in range(rng.randint(6, 18)):
                    w = rng.randint(7, 14)
                    h = int(row_h * rng.uniform(0.7, 0.8))
                    c = mix(rng.choice(rng.choice(SLEEVE_PALETTES)), (0, 0, 0), rng.uniform(0, 0.3))
                    d.rectangle((x, bottom - h, x + w, bottom), fill=c)
                    x += w + 1
                    if x > x1 - 20:
                        break
                x += 10
    return img


def crate(img, rng, x0, y0, x1, y1, wood=(150, 100, 60), count=10):
    """A bin of records seen from the front and above: sleeves leaning back, then the box."""
    d = ImageDraw.Draw(img)
    w = x1 - x0
    s = int(w * 0.86)
    for k in range(count):
        lean = (count - k) * 6
        top = y0 - s * 0.55 + k * (s * 0.04)
        sl = sleeve(rng, (s, s)).convert("RGBA")
        sl = sl.transform((s, s), Image.AFFINE, (1, 0.08 * (k % 3 - 1), 0, 0, 1, 0), resample=Image.BICUBIC)
        shadow = Image.new("RGBA", (s, s), (0, 0, 0, 110))
        img.paste(shadow, (int(x0 + (w - s) / 2 + 6), int(top + 8)), shadow)
        img.paste(sl, (int(x0 + (w - s) / 2 + lean * 0.3 - 10), int(top)), sl)
    d = ImageDraw.Draw(img)
    fill_grad(img, (x0, y0, x1, y1), [(0, mix(wood, (255, 255, 255), 0.1)), (1, mix(wood, (0, 0, 0), 0.35))])
    d = ImageDraw.Draw(img)
    for k in range(1, 4):
        y = y0 + (y1 - y0) * k / 4
        d.line((x0, y, x1, y), fill=mix(wood, (0, 0, 0), 0.4), width=3)
    d.rectangle((x0, y0, x1, y0 + 14), fill=mix(wood, (255, 255, 255), 0.3))
    # Divider tab.
    tab = rng.choice(["A–F", "G–L", "M–R", "S–Z", "JAZZ", "SOUL", "POP", "NEW"])
    tw = 150
    d.rounded_rectangle((x0 + w / 2 - tw / 2, y0 - 60, x0 + w / 2 + tw / 2, y0 + 4), 10, fill=(245, 240, 225))
    d.text((x0 + w / 2, y0 - 28), tab, font=font(34), fill=(60, 40, 30), anchor="mm")
    return img


def sign(img, text, center, size, color, neon=False, board=None):
    d = ImageDraw.Draw(img)
    f = font(size)
    if board:
        bbox = d.textbbox(center, text, font=f, anchor="mm")
        d.rounded_rectangle((bbox[0] - 40, bbox[1] - 30, bbox[2] + 40, bbox[3] + 30), 18, fill=board)
    if neon:
        lay = Image.new("RGB", img.size, (0, 0, 0))
        ImageDraw.Draw(lay).text(center, text, font=f, fill=color, anchor="mm")
        img = ImageChops.screen(img, lay.filter(ImageFilter.GaussianBlur(28)))
        img = ImageChops.screen(img, lay.filter(ImageFilter.GaussianBlur(8)))
        d = ImageDraw.Draw(img)
        d.text(center, text, font=f, fill=mix(color, (255, 255, 255), 0.6), anchor="mm")
    else:
        d.text(center, text, font=f, fill=color, anchor="mm")
    return img


def record_store(variant, rng):
    if variant == 0:
        # Warm wooden store: shelves, a sign, pendant lamps, bins in front.
        img = gradient((W, H), [(0, (90, 60, 40)), (0.6, (130, 90, 60)), (1, (70, 46, 32))])
        img = sign(img, "RECORDS", (540, 190), 120, (250, 236, 210), board=(150, 50, 40))
        img = shelf_wall(img, rng, 300, 1180)
        for x in (220, 540, 860):
            d = ImageDraw.Draw(img)
            d.line((x, 0, x, 270), fill=(30, 24, 20), width=4)
            d.polygon([(x - 70, 340), (x + 70, 340), (x + 34, 270), (x - 34, 270)], fill=(40, 60, 50))
            img = glow(img, (x, 360), 420, (255, 190, 110), 0.65, power=1.3)
            img = glow(img, (x, 345), 60, (255, 240, 200), 1.0)
        fill_grad(img, (0, 1180, W, H), [(0, (110, 76, 50)), (1, (60, 40, 28))])
        d = ImageDraw.Draw(img)
        for i in range(-10, 12):
            d.line((540 + i * 60, 1180, 540 + i * 170, H), fill=(80, 54, 36), width=3)
        img = crate(img, rng, 40, 1520, 520, 1900, count=9)
        img = crate(img, rng, 560, 1520, 1040, 1900, count=9)
        img = vignette(img, 0.35)
    elif variant == 1:
        # Neon night: dark blue store, a pink VINYL sign, lit shelves.
        img = gradient((W, H), [(0, (16, 18, 40)), (0.6, (30, 30, 64)), (1, (14, 12, 26))])
        img = shelf_wall(img, rng, 420, 1260, wood=(60, 50, 70))
        img = glow(img, (540, 800), 700, (80, 60, 160), 0.35)
        img = sign(img, "VINYL", (540, 250), 170, (255, 60, 170), neon=True)
        img = sign(img, "NEW ARRIVALS", (540, 380), 44, (80, 220, 255), neon=True)
        fill_grad(img, (0, 1260, W, H), [(0, (40, 34, 60)), (1, (14, 12, 24))])
        d = ImageDraw.Draw(img)
        for i in range(0, 9):
            y = 1260 + (H - 1260) * (i / 8) ** 1.5
            d.line((0, y, W, y), fill=(54, 46, 80), width=2)
        refl = Image.new("RGB", (W, H), (0, 0, 0))
        ImageDraw.Draw(refl).ellipse((240, 1300, 840, 1420), fill=(120, 30, 90))
        img = screen_layer(img, refl, blur=40)
        img = crate(img, rng, 40, 1540, 520, 1900, wood=(80, 60, 90), count=9)
        img = crate(img, rng, 560, 1540, 1040, 1900, wood=(80, 60, 90), count=9)
        img = vignette(img, 0.4)
    else:
        # Digging close up: a featured LP on the wall, records half out of sleeves, bokeh shelves.
        img = gradient((W, H), [(0, (60, 44, 40)), (1, (36, 26, 24))])
        back = shelf_wall(gradient((W, H), [(0, (70, 50, 40)), (1, (40, 28, 24))]), rng, 100, 1100)
        back = back.filter(ImageFilter.GaussianBlur(10))
        img.paste(back.crop((0, 0, W, 1150)), (0, 0))
        for _ in range(26):
            img = glow(img, (rng.uniform(0, W), rng.uniform(80, 1000)), rng.uniform(20, 60), rng.choice([(255, 200, 130), (255, 160, 120), (200, 220, 255)]), 0.55, power=0.8)
        # Featured LP: sleeve with the disc sliding out.
        s = 560
        img = vinyl(img, 540 + 170, 650, 260, (230, 120, 60))
        cover = sleeve(rng, (s, s))
        sh = layer()
        ImageDraw.Draw(sh).rectangle((170 + 20, 370 + 24, 170 + s + 20, 370 + s + 24), fill=(0, 0, 0, 140))
        img = comp(img, sh, blur=18)
        img.paste(cover, (170, 370))
        d = ImageDraw.Draw(img)
        d.rectangle((170, 370, 170 + s, 370 + s), outline=(245, 240, 230), width=6)
        img = sign(img, "STAFF PICK", (450, 1010), 40, (40, 30, 24), board=(250, 220, 110))
        # Counter and a big crate.
        fill_grad(img, (0, 1150, W, H), [(0, (120, 80, 50)), (1, (60, 40, 26))])
        img = crate(img, rng, 80, 1500, 1000, H, wood=(170, 120, 70), count=12)
        img = vignette(img, 0.35)
    return img


# ----------------------------------------------------------------------------- editorial


def editorial(variant, rng):
    if variant == 0:
        # Studio: seamless paper sweep, softboxes, light stands.
        paper = (214, 196, 178)
        img = gradient((W, H), [(0, mix(paper, (0, 0, 0), 0.3)), (0.55, paper), (0.72, mix(paper, (255, 255, 255), 0.15)), (1, mix(paper, (0, 0, 0), 0.15))])
        img = glow(img, (540, 760), 640, (255, 246, 230), 0.55, power=1.1)
        # Where the paper curves into the floor: a soft light band, then the floor darkening.
        sweep = Image.new("RGB", (W, H), (0, 0, 0))
        ImageDraw.Draw(sweep).rectangle((0, 1330, W, 1420), fill=(40, 36, 30))
        img = screen_layer(img, sweep, blur=60)
        img = shade(img, (540, 1750), 420, 0.3, scale_y=0.18)
        d = ImageDraw.Draw(img)
        for x, flip in ((110, 1), (970, -1)):
            d.line((x, 1700, x, 520), fill=(40, 40, 44), width=8)
            d.line((x, 1700, x - 90, 1800), fill=(40, 40, 44), width=7)
            d.line((x, 1700, x + 90, 1800), fill=(40, 40, 44), width=7)
            d.line((x, 1700, x, 1810), fill=(40, 40, 44), width=7)
            box = [(x - 110 * flip, 330), (x + 120 * flip, 420), (x + 120 * flip, 700), (x - 110 * flip, 790)]
            d.polygon(box, fill=(30, 30, 34))
            inner = [(x - 96 * flip, 352), (x + 106 * flip, 432), (x + 106 * flip, 688), (x - 96 * flip, 768)]
            d.polygon(inner, fill=(250, 250, 246))
            img = glow(img, (x + 20 * flip, 560), 330, (255, 250, 240), 0.7)
            d = ImageDraw.Draw(img)
        # A posing stool and tape marks on the floor.
        d.line((470, 1560, 610, 1560), fill=(60, 60, 66), width=10)
        d.line((490, 1560, 470, 1740), fill=(60, 60, 66), width=8)
        d.line((590, 1560, 610, 1740), fill=(60, 60, 66), width=8)
        d.line((420, 1780, 470, 1780), fill=(230, 80, 60), width=8)
        d.line((610, 1780, 660, 1780), fill=(230, 80, 60), width=8)
        img = vignette(img, 0.3)
    elif variant == 1:
        # Magazine cover: masthead, cover lines, issue number, barcode.
        bgc = (238, 96, 70)
        img = gradient((W, H), [(0, mix(bgc, (255, 255, 255), 0.12)), (1, mix(bgc, (0, 0, 0), 0.15))])
        img = glow(img, (540, 860), 560, (255, 200, 160), 0.5)
        d = ImageDraw.Draw(img)
        d.text((540, 180), "ÉDITION", font=font(190), fill=(250, 246, 236), anchor="mm")
        d.line((70, 300, 1010, 300), fill=(250, 246, 236), width=4)
        d.text((70, 330), "N°07  ·  THE SOUND ISSUE", font=font(34), fill=(40, 24, 30))
        d.text((1010, 330), "SPRING", font=font(34), fill=(40, 24, 30), anchor="ra")
        lines = [("NEW", 96), ("MUSIC", 96), ("NOW", 96)]
        y = 1180
        for text, size in lines:
            d.text((70, y), text, font=font(size), fill=(250, 246, 236))
            y += size + 4
        for i, (t, s) in enumerate([("INSIDE THE STUDIO", 36), ("12 SONGS FOR NIGHT", 36), ("THE BEDROOM POP", 36), ("REVIVAL", 36)]):
            d.text((1010, 1250 + i * 50), t, font=font(s), fill=(40, 24, 30), anchor="ra")
        # Barcode.
        bx, by = 820, 1640
        d.rectangle((bx - 16, by - 16, bx + 196, by + 170), fill=(250, 250, 250))
        x = bx
        while x < bx + 180:
            w = rng.choice([2, 2, 3, 5])
            d.rectangle((x, by, x + w - 1, by + 120), fill=(20, 20, 20))
            x += w + rng.choice([2, 3, 4])
        d.text((bx + 90, by + 145), "9 771234 567003", font=font(18), fill=(20, 20, 20), anchor="mm")
        # Thin frame.
        d.rectangle((40, 40, W - 40, H - 40), outline=(250, 246, 236), width=3)
        img = vignette(img, 0.25)
    else:
        # Editorial spread: colour blocks, rules, big numerals, text columns.
        img = Image.new("RGB", (W, H), (240, 234, 222))
        d = ImageDraw.Draw(img)
        fill_grad(img, (0, 0, W, 1100), [(0, (32, 48, 84)), (1, (52, 74, 120))])
        img = glow(img, (540, 700), 520, (120, 150, 210), 0.6)
        d = ImageDraw.Draw(img)
        d.ellipse((240, 300, 840, 900), outline=(230, 190, 110), width=6)
        d.text((70, 120), "01", font=font(150), fill=(230, 190, 110))
        d.text((1010, 150), "PORTRAIT", font=font(40), fill=(240, 234, 222), anchor="ra")
        d.text((1010, 200), "SERIES", font=font(40), fill=(240, 234, 222), anchor="ra")
        d.line((70, 1100, 1010, 1100), fill=(30, 30, 34), width=3)
        d.text((70, 1130), "IN CONVERSATION", font=font(64), fill=(30, 30, 34))
        # Body text as grey bars in two columns.
        for col in range(2):
            x0 = 70 + col * 480
            y = 1260
            for k in range(16):
                w = 440 if k % 6 != 5 else rng.randint(160, 360)
                d.rounded_rectangle((x0, y, x0 + w, y + 12), 6, fill=(150, 146, 140))
                y += 30
        d.rectangle((70, 1780, 1010, 1786), fill=(200, 80, 60))
        d.text((70, 1810), "PAGE 24", font=font(28), fill=(30, 30, 34))
        img = vignette(img, 0.2)
    return img


SCENES = [
    ("artist-caption-bedroom", bedroom, ["bedroom-night.jpg", "bedroom-morning.jpg", "bedroom-dusk.jpg"]),
    ("artist-caption-outside", outside, ["street-sunny.jpg", "park-golden-hour.jpg", "city-dusk.jpg"]),
    ("artist-caption-stage", stage, ["stage-neon.jpg", "stage-amber.jpg", "stage-red.jpg"]),
    ("album-record-store", record_store, ["store-wood.jpg", "store-neon.jpg", "crate-dig.jpg"]),
    ("artist-release-editorial", editorial, ["studio-backdrop.jpg", "magazine-cover.jpg", "editorial-spread.jpg"]),
]


def main():
    only = sys.argv[1:]
    for i, (template, draw, names) in enumerate(SCENES):
        if only and not any(o in template for o in only):
            continue
        for v, name in enumerate(names):
            rng = random.Random(1000 * i + v + 7)
            img = draw(v, rng)
            save(img, template, name, random.Random(99 + v))


if __name__ == "__main__":
    main()
