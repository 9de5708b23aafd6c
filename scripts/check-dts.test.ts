/**
 * The published declarations carry no underscore member and type-check for a consumer: built
 * here with each package's own tsup config (so `stripInternal` exactly as `pnpm build` applies
 * it), then checked by scripts/check-dts.ts.
 */
import { describe, expect, it } from "vitest";
import {
  buildDeclarations,
  checkDeclarations,
  publishedPackages,
  scratchDir,
  underscoreMembers,
} from "./check-dts.js";

describe("underscoreMembers", () => {
  it("finds members, parameter properties and top-level names with a leading underscore", () => {
    const dts = [
      "export declare class A {",
      "  private _a;",
      "  protected _b: number;",
      "  _c(): void;",
      "  get _d(): number;",
      "  constructor(_notAMember: number, readonly _e: number);",
      "  #private;",
      "  fine: number;",
      "}",
      "export interface I { _f: number; g(_param: number): void }",
      "export type T = { _g: string };",
      "export declare function _h(): void;",
      "export declare const _i: number;",
      "declare enum E { _J = 0 }",
    ].join("\n");
    expect(underscoreMembers("x.d.ts", dts).map((m) => `${m.line} ${m.name}`)).toEqual([
      "2 A._a",
      "3 A._b",
      "4 A._c",
      "5 A._d",
      "6 A._e",
      "10 I._f",
      "11 T._g",
      "12 _h",
      "13 _i",
      "14 _J",
    ]);
  });

  it("passes a declaration file without one", () => {
    expect(
      underscoreMembers("x.d.ts", "export declare class A {\n  #private;\n  a(b: number): void;\n}\n"),
    ).toEqual([]);
  });
});

describe("published declarations", () => {
  const packages = publishedPackages();

  it("lists every published package with its typed entry points", () => {
    expect(packages.map((p) => p.dir)).toEqual(
      expect.arrayContaining(["bvec", "dma", "encoding", "lab", "list"]),
    );
    expect(packages.find((p) => p.dir === "dma")?.types.get("./node")).toBe("dist/node.d.ts");
  });

  it("built as published: no underscore member, and they type-check alone (no sources, skipLibCheck off)", {
    timeout: 600_000,
  }, async () => {
    await buildDeclarations(packages);
    expect(checkDeclarations(packages, scratchDir)).toEqual([]);
  });
});
