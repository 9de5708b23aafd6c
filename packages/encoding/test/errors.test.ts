import { describe, expect, it } from "vitest";
import { formatValue, isRlistError, RlistError } from "../src/index.js";

describe("RlistError", () => {
  it("carries a stable code and is an Error", () => {
    const err = new RlistError("ERANGE", "length 2^60 does not fit 60 bits");
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe("ERANGE");
    expect(err.name).toBe("RlistError");
    expect(err.message).toBe("ERANGE: length 2^60 does not fit 60 bits");
    expect(isRlistError(err)).toBe(true);
    expect(isRlistError(err, "ERANGE")).toBe(true);
    expect(isRlistError(err, "EINVAL")).toBe(false);
    expect(isRlistError(new Error("x"))).toBe(false);
  });
});

describe("formatValue (every message shows caller values through it)", () => {
  it("renders numbers, bigints, strings and symbols exactly", () => {
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(-0)).toBe("-0");
    expect(formatValue(0)).toBe("0");
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe("-Infinity");
    expect(formatValue(2 ** 53 + 2)).toBe("9007199254740994");
    expect(formatValue(1n << 64n)).toBe("18446744073709551616n");
    expect(formatValue("0x10")).toBe('"0x10"');
    expect(formatValue(Symbol("id"))).toBe("Symbol(id)");
    expect(formatValue(Symbol())).toBe("Symbol()");
    expect(formatValue(null)).toBe("null");
    expect(formatValue(undefined)).toBe("undefined");
    expect(formatValue(true)).toBe("true");
    expect(formatValue(new Uint32Array(3))).toBe("Uint32Array(3)");
    expect(formatValue([1, 2])).toBe("an array");
    expect(formatValue(() => 1)).toBe("a function");
  });

  it("is total: no user code can make it throw, and long strings are cut", () => {
    const hostile: unknown[] = [
      {
        toString() {
          throw new Error("toString");
        },
        valueOf() {
          throw new Error("valueOf");
        },
        get [Symbol.toPrimitive]() {
          throw new Error("toPrimitive");
        },
      },
      new Proxy(
        {},
        {
          get() {
            throw new Error("trap");
          },
          getPrototypeOf() {
            throw new Error("trap");
          },
        },
      ),
      new Proxy([], {
        get() {
          throw new Error("trap");
        },
      }),
      Object.create(null),
    ];
    const revocable = Proxy.revocable([], {});
    revocable.revoke();
    hostile.push(revocable.proxy);
    for (const v of hostile) expect(typeof formatValue(v)).toBe("string");
    const long = formatValue("x".repeat(1e6));
    expect(long.length).toBeLessThan(100);
    expect(long).toContain("1000000 chars");
  });
});

describe("RlistError and isRlistError take any argument", () => {
  it("a Symbol or an object whose toString throws as code or message still makes an RlistError", () => {
    const hostile = {
      toString() {
        throw new Error("toString");
      },
    };
    for (const v of [Symbol("m"), hostile, 5n]) {
      const a = new RlistError("EINVAL", v as unknown as string);
      expect(a.message.startsWith("EINVAL: ")).toBe(true);
      const b = new RlistError(v as unknown as "EINVAL", "message");
      expect(b).toBeInstanceOf(RlistError);
      expect(b.message.endsWith(": message")).toBe(true);
    }
  });

  it("isRlistError refuses a code that is not an errno name (a typo would make it false forever)", () => {
    const err = new RlistError("ENOMEM", "x");
    expect(isRlistError(err, "ENOMEM")).toBe(true);
    for (const code of ["ENOMEN", Number.NaN, Symbol("c"), null, 12]) {
      expect(() => isRlistError(err, code as "ENOMEM")).toThrow(
        /EINVAL: isRlistError: .* is not an rlist error code/,
      );
    }
  });
});
