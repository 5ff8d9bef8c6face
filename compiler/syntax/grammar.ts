import {
  type CstNode,
  type IToken,
  type ParserMethod,
  type TokenType,
  CstParser,
  createTokenInstance,
} from "chevrotain";
import { errorMessageProvider } from "./parse-errors.js";
import { startsSectionOrDecl } from "./section-start.js";
import * as T from "./tokens.js";

/**
 * The grammar of `.nn`, as a chevrotain CstParser with no embedded actions; `to-ast.ts` turns
 * its concrete syntax tree into the AST. It reads the token stream of `layout.ts`, in which
 * brackets are balanced and only newlines that separate things remain.
 *
 * Lists separated by newlines (declarations, sections, statements) are written as loops over
 * "newline or item", which recovers well from errors; that items are really separated by a
 * newline is checked by the AST builder. `a < b < c` parses here and is rejected there too.
 * Declared names (of declarations, parameters, inputs, targets and bindings) accept keywords,
 * so that `input = 3` is one clear error from the AST builder rather than a parser error
 * followed by confused recovery. Labels (`LABEL`) name the CST children the builder reads.
 */
export class NnParser extends CstParser {
  constructor() {
    super([...T.tokenVocabulary], {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider,
      nodeLocationTracking: "onlyOffset",
    });
    this.performSelfAnalysis();
  }

  /** Recovery inserts tokens where the previous token ends, so their spans stay in place. */
  protected override getTokenToInsert(tokType: TokenType): IToken {
    const prev = this.LA(0);
    const at = Number.isFinite(prev.startOffset) ? prev.startOffset + prev.image.length : 0;
    const token = createTokenInstance(tokType, "", at, at - 1, NaN, NaN, NaN, NaN);
    token.isInsertedInRecovery = true;
    return token;
  }

  /** `(NEWLINE | item)*`: a newline-separated list (separation is checked by the AST builder). */
  private lines(item: ParserMethod<[], CstNode>): void {
    this.MANY(() =>
      this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(item) }]),
    );
  }

  /** `item (, item)* ,?`; uses OPTION9 so that it does not clash with the caller's OPTIONs. */
  private commaList(item: ParserMethod<[], CstNode>): void {
    this.SUBRULE(item);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(item);
    });
    this.OPTION9(() => this.CONSUME2(T.Comma));
  }

  private nextTypes(): [TokenType, TokenType, TokenType] {
    return [this.LA(1).tokenType, this.LA(2).tokenType, this.LA(3).tokenType];
  }

  readonly program = this.RULE("program", () => {
    this.lines(this.decl);
  });

  readonly decl = this.RULE("decl", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.fnDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
      ],
      ERR_MSG: "a declaration ('fn', 'block' or 'model')",
    });
  });

  readonly fnDecl = this.RULE("fnDecl", () => {
    this.CONSUME(T.Fn, { LABEL: "keyword" });
    this.CONSUME(T.AnyName, { LABEL: "name" });
    this.CONSUME(T.LParen);
    this.OPTION(() => this.SUBRULE(this.params));
    this.CONSUME(T.RParen);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "body" });
  });

  readonly params = this.RULE("params", () => this.commaList(this.param));

  readonly param = this.RULE("param", () => {
    this.CONSUME(T.AnyName, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression, { LABEL: "default" });
    });
  });

  readonly blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block, { LABEL: "keyword" });
    this.CONSUME(T.AnyName, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => this.SUBRULE(this.params));
      this.CONSUME(T.RParen);
    });
    this.CONSUME(T.LBrace);
    this.OPTION3(() => this.SUBRULE(this.stages));
    this.CONSUME(T.RBrace);
  });

  readonly stages = this.RULE("stages", () => {
    this.SUBRULE(this.stage);
    this.MANY(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE2(this.stage);
    });
  });

  readonly stage = this.RULE("stage", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.repeatStage) },
        { ALT: () => this.SUBRULE(this.callStage) },
        {
          GATE: () => startsSectionOrDecl(...this.nextTypes()) === undefined,
          ALT: () => this.CONSUME(T.KeywordName, { LABEL: "keyword" }),
        },
      ],
      ERR_MSG: "a stage (a name, a call or 'repeat')",
    });
  });

  readonly callStage = this.RULE("callStage", () => {
    this.CONSUME(T.Identifier, { LABEL: "callee" });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => this.SUBRULE(this.args));
      this.CONSUME(T.RParen);
    });
    this.OPTION3(() => {
      this.CONSUME(T.As, { LABEL: "as" });
      this.CONSUME2(T.Identifier, { LABEL: "alias" });
    });
  });

  readonly repeatStage = this.RULE("repeatStage", () => {
    this.CONSUME(T.Repeat, { LABEL: "keyword" });
    this.SUBRULE(this.repeatCount);
    this.CONSUME(T.LBrace);
    this.OPTION(() => this.SUBRULE(this.stages));
    this.CONSUME(T.RBrace);
  });

  readonly repeatCount = this.RULE("repeatCount", () => {
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(T.NumberToken, { LABEL: "number" }) },
        { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
        {
          ALT: () => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.expression);
            this.CONSUME(T.RParen);
          },
        },
      ],
      ERR_MSG: "a repeat count (a number, a name or an expression in parentheses)",
    });
  });

  readonly modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model, { LABEL: "keyword" });
    this.CONSUME(T.AnyName, { LABEL: "name" });
    this.CONSUME(T.LBrace);
    this.lines(this.section);
    this.CONSUME(T.RBrace);
  });

  readonly section = this.RULE("section", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.inputSection) },
        { ALT: () => this.SUBRULE(this.targetSection) },
        { ALT: () => this.SUBRULE(this.forwardSection) },
        { ALT: () => this.SUBRULE(this.lossSection) },
        { ALT: () => this.SUBRULE(this.optimizerSection) },
        { ALT: () => this.SUBRULE(this.metricsSection) },
        { ALT: () => this.SUBRULE(this.trainSection) },
        { ALT: () => this.SUBRULE(this.dataSection) },
      ],
      ERR_MSG:
        "a section ('input', 'target', 'forward', 'loss', 'optimizer', 'metrics', 'train' or 'data')",
    });
  });

  readonly inputSection = this.RULE("inputSection", () => {
    this.CONSUME(T.Input, { LABEL: "keyword" });
    this.CONSUME(T.AnyName, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeNode);
  });

  readonly targetSection = this.RULE("targetSection", () => {
    this.CONSUME(T.Target, { LABEL: "keyword" });
    this.CONSUME(T.AnyName, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeNode);
  });

  readonly typeNode = this.RULE("typeNode", () => {
    this.OPTION(() => this.CONSUME(T.Identifier, { LABEL: "dtype" }));
    this.CONSUME(T.LBracket);
    this.commaList(this.dim);
    this.CONSUME(T.RBracket);
  });

  readonly dim = this.RULE("dim", () => {
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(T.NumberToken, { LABEL: "number" }) },
        { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
      ],
      ERR_MSG: "a dimension (a whole number or a name)",
    });
  });

  readonly forwardSection = this.RULE("forwardSection", () => {
    this.CONSUME(T.Forward, { LABEL: "keyword" });
    this.CONSUME(T.LBrace);
    this.lines(this.statement);
    this.CONSUME(T.RBrace);
  });

  readonly statement = this.RULE("statement", () => {
    this.OR({
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.AnyName, { LABEL: "name" });
            this.CONSUME(T.Equals);
            this.SUBRULE(this.expression);
          },
        },
        { ALT: () => this.SUBRULE2(this.expression) },
      ],
      ERR_MSG: "a statement",
    });
  });

  readonly lossSection = this.RULE("lossSection", () => {
    this.CONSUME(T.Loss, { LABEL: "keyword" });
    this.SUBRULE(this.expression);
  });

  readonly optimizerSection = this.RULE("optimizerSection", () => {
    this.CONSUME(T.Optimizer, { LABEL: "keyword" });
    this.SUBRULE(this.expression);
  });

  /** `metrics NAME, NAME(ARGS), ...`: names, or calls for metrics with settings. */
  readonly metricsSection = this.RULE("metricsSection", () => {
    this.CONSUME(T.Metrics, { LABEL: "keyword" });
    this.SUBRULE(this.callOrName);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.callOrName);
    });
  });

  readonly trainSection = this.RULE("trainSection", () => {
    this.CONSUME(T.Train, { LABEL: "keyword" });
    this.SUBRULE(this.entryBlock);
  });

  readonly dataSection = this.RULE("dataSection", () => {
    this.CONSUME(T.Data, { LABEL: "keyword" });
    this.SUBRULE(this.entryBlock);
  });

  /**
   * `{ KEY: VALUE ... }`: the body of `train`, `data` and object literals. Entries, commas and
   * newlines in any order here; the AST builder checks that entries are separated.
   */
  readonly entryBlock = this.RULE("entryBlock", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.CONSUME(T.Comma) },
        { ALT: () => this.CONSUME(T.Newline) },
        { ALT: () => this.SUBRULE(this.entry) },
      ]),
    );
    this.CONSUME(T.RBrace);
  });

  readonly entry = this.RULE("entry", () => {
    this.CONSUME(T.AnyName, { LABEL: "key" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });

  /** The lowest precedence: a comparison-level head followed by `-> stage`s. */
  readonly expression = this.RULE("expression", () => {
    this.SUBRULE(this.comparison);
    this.MANY(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.stage);
    });
  });

  readonly comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.additive);
    this.MANY(() => {
      this.CONSUME(T.CompareOp);
      this.SUBRULE2(this.additive);
    });
  });

  readonly additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.CONSUME(T.AdditiveOp);
      this.SUBRULE2(this.multiplicative);
    });
  });

  readonly multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.CONSUME(T.MultiplicativeOp);
      this.SUBRULE2(this.unary);
    });
  });

  readonly unary = this.RULE("unary", () => {
    this.MANY(() => this.CONSUME(T.PrefixOp));
    this.SUBRULE(this.power);
  });

  /** `^` is right associative and its exponent may be negated: `2^-1`, `a^b^c`. */
  readonly power = this.RULE("power", () => {
    this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE(this.unary);
    });
  });

  readonly postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Identifier, { LABEL: "property" });
    });
  });

  readonly primary = this.RULE("primary", () => {
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(T.NumberToken, { LABEL: "number" }) },
        { ALT: () => this.CONSUME(T.StringLit, { LABEL: "string" }) },
        { ALT: () => this.CONSUME(T.True, { LABEL: "bool" }) },
        { ALT: () => this.CONSUME(T.False, { LABEL: "bool" }) },
        { ALT: () => this.SUBRULE(this.callOrName) },
        { ALT: () => this.SUBRULE(this.parenExpr) },
        { ALT: () => this.SUBRULE(this.listExpr) },
        { ALT: () => this.SUBRULE(this.entryBlock) },
        {
          // A keyword misused as a name (`forward { data }`): read it, for one clear error.
          GATE: () => startsSectionOrDecl(...this.nextTypes()) === undefined,
          ALT: () => this.CONSUME(T.KeywordName, { LABEL: "keyword" }),
        },
      ],
      ERR_MSG: "an expression",
    });
  });

  readonly callOrName = this.RULE("callOrName", () => {
    this.CONSUME(T.Identifier, { LABEL: "callee" });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => this.SUBRULE(this.args));
      this.CONSUME(T.RParen);
    });
  });

  /** Positional and named arguments in any order; the AST builder enforces positional first. */
  readonly args = this.RULE("args", () => this.commaList(this.arg));

  readonly arg = this.RULE("arg", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.AnyName, { LABEL: "name" });
          this.CONSUME(T.Colon);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.SUBRULE2(this.expression) },
    ]);
  });

  readonly parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  readonly listExpr = this.RULE("listExpr", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => this.commaList(this.expression));
    this.CONSUME(T.RBracket);
  });
}

/** One parser for the process: building it analyses the grammar, which is slow. */
export const parser = new NnParser();
