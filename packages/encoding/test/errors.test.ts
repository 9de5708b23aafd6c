import { describe, expect, it } from "vitest";
import { isRlistError, RlistError } from "../src/index.js";

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
