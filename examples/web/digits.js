/**
 * The drawing pad's pixels as an MNIST input, the way the MNIST digits were made: the ink's
 * bounding box scaled so that its longer side is 20 pixels (anti-aliased by the canvas), placed
 * in a 28 x 28 image with its centre of mass at the centre. Pure functions over pixel arrays,
 * plus one that draws through a canvas. The pad draws white on black.
 */

/** Side of the model's input image. */
export const SIDE = 28;

/** Ink per pixel in 0..1 from RGBA bytes (the red channel: the pad draws white on black). */
export function inkOf(rgba, width, height) {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4] / 255;
  return ink;
}

/** The bounding box of pixels with ink above `threshold`, or null for an empty pad. */
export function inkBox(ink, width, height, threshold = 0.05) {
  let top = height,
    left = width,
    bottom = -1,
    right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  return bottom < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * `image` (SIDE x SIDE) moved by whole pixels so that its centre of mass is at (14, 14), where
 * MNIST puts it (pixel coordinates, the mean over the shipped digits is (14.00, 14.00)).
 */
export function centreByMass(image) {
  let mass = 0,
    sx = 0,
    sy = 0;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = image[y * SIDE + x];
      mass += v;
      sx += v * x;
      sy += v * y;
    }
  }
  if (mass === 0) return image;
  const dx = Math.round(SIDE / 2 - sx / mass);
  const dy = Math.round(SIDE / 2 - sy / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const fx = x - dx,
        fy = y - dy;
      if (fx >= 0 && fx < SIDE && fy >= 0 && fy < SIDE) out[y * SIDE + x] = image[fy * SIDE + fx];
    }
  }
  return out;
}

/** The pad's drawing as a 784-pixel MNIST-style input, or null when nothing is drawn. */
export function padToInput(pad) {
  const context = pad.getContext("2d", { willReadFrequently: true });
  const ink = inkOf(context.getImageData(0, 0, pad.width, pad.height).data, pad.width, pad.height);
  const box = inkBox(ink, pad.width, pad.height);
  if (box === null) return null;
  const scale = 20 / Math.max(box.width, box.height);
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const small = document.createElement("canvas");
  small.width = SIDE;
  small.height = SIDE;
  const target = small.getContext("2d", { willReadFrequently: true });
  target.fillStyle = "#000";
  target.fillRect(0, 0, SIDE, SIDE);
  target.imageSmoothingEnabled = true;
  target.imageSmoothingQuality = "high";
  target.drawImage(
    pad,
    box.left,
    box.top,
    box.width,
    box.height,
    (SIDE - w) / 2,
    (SIDE - h) / 2,
    w,
    h,
  );
  return centreByMass(inkOf(target.getImageData(0, 0, SIDE, SIDE).data, SIDE, SIDE));
}

/** Index of the largest value. */
export function argmax(values, start = 0, length = values.length - start) {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i] > values[start + best]) best = i;
  return best;
}
