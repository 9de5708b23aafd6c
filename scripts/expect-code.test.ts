/** The shared error-code assertions accept an RlistError with the code, and nothing else. */
import { describe, expect, it } from "vitest";
import { RlistError } from "../packages/encoding/src/index.js";
import { codeOf, expectCode } from "./expect-code.js";

const throwing = (err: unknown) => () => {
  throw err;
};

describe("expectCode", () => {
  it("returns the RlistError when the code matches", () => {
    const err = new RlistError("ERANGE", "too far");
    expect(expectCode(throwing(err), "ERANGE")).toBe(err);
  });

  it("fails on another code, another error with the same code, or no error", () => {
    expect(() => expectCode(throwing(new RlistError("EINVAL", "x")), "ERANGE")).toThrow(/ERANGE/);
    const lookalike = Object.assign(new Error("x"), { code: "EINVAL" });
    expect(() => expectCode(throwing(lookalike), "EINVAL")).toThrow(/expected an RlistError EINVAL/);
    expect(() => expectCode(throwing(new TypeError("x")), "EINVAL")).toThrow(/TypeError: x/);
    expect(() => expectCode(() => 1, "EINVAL", "case 3")).toThrow(/case 3: .*returned/);
  });
});

describe("codeOf", () => {
  it("gives the code of an RlistError and a string no code equals otherwise", () => {
    expect(codeOf(throwing(new RlistError("ENOSPC", "full")))).toBe("ENOSPC");
    expect(codeOf(throwing(Object.assign(new Error("x"), { code: "EINVAL" })))).toBe(
      "not an RlistError: Error: x",
    );
    expect(codeOf(throwing(Symbol("s")))).toBe("not an RlistError: symbol Symbol(s)");
    expect(codeOf(() => 0)).toBe("no error");
  });
});
