// lz-string's decompressFromEncodedURIComponent (lz-string 1.5.0, MIT, Pieroxy), with a bound
// on the output: a link of a few kilobytes can otherwise decompress to hundreds of millions of
// characters and crash the tab before any check could look at the result. Decompression
// stops as soon as the output would pass `maxChars`. Same format, same results below the bound
// (tests/e2e/test_hardening.py compares both on random texts).

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$";
const VALUE = new Map([...ALPHABET].map((ch, i) => [ch, i]));

/** Thrown when the decompressed text would be longer than allowed. */
export class TooLarge extends Error {
  constructor(limit) {
    super(`decompressed link state exceeds ${limit} characters`);
    this.limit = limit;
  }
}

/**
 * @param {string} input  lz-string's URI-safe encoding
 * @param {number} maxChars
 * @returns {string|null}  the text; "" or null for a damaged input, as lz-string returns
 * @throws {TooLarge}
 */
export function decompressBounded(input, maxChars) {
  if (input == null) return "";
  if (input === "") return null;
  const text = input.replace(/ /g, "+");
  const length = text.length;
  const data = { val: VALUE.get(text.charAt(0)) ?? 0, position: 32, index: 1 };
  const readBits = (count) => {
    let bits = 0;
    for (let power = 1; power !== 1 << count; power <<= 1) {
      const bit = data.val & data.position;
      data.position >>= 1;
      if (data.position === 0) {
        data.position = 32;
        data.val = VALUE.get(text.charAt(data.index++)) ?? 0;
      }
      if (bit > 0) bits |= power;
    }
    return bits;
  };

  const dictionary = [0, 1, 2];
  let enlargeIn = 4;
  let dictSize = 4;
  let numBits = 3;
  let c;
  switch (readBits(2)) {
    case 0: c = String.fromCharCode(readBits(8)); break;
    case 1: c = String.fromCharCode(readBits(16)); break;
    default: return "";
  }
  dictionary[3] = c;
  let w = c;
  const result = [c];
  let size = c.length;
  for (;;) {
    if (data.index > length) return "";
    let code = readBits(numBits);
    if (code === 0 || code === 1) {
      dictionary[dictSize++] = String.fromCharCode(readBits(code === 0 ? 8 : 16));
      code = dictSize - 1;
      enlargeIn--;
    } else if (code === 2) {
      return result.join("");
    }
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
    let entry;
    if (dictionary[code]) entry = dictionary[code];
    else if (code === dictSize) entry = w + w.charAt(0);
    else return null;
    size += entry.length;
    if (size > maxChars) throw new TooLarge(maxChars);
    result.push(entry);
    dictionary[dictSize++] = w + entry.charAt(0);
    enlargeIn--;
    w = entry;
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
}
