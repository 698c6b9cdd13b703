/** Renders the contract as a one-page A4 PDF with Chinese text and the four seal positions of the manual. */
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { yuan } from '../format.js';
import { loadCjkFont } from './font.js';

/** The contract's fields as the supplier fills them in 起草合同. */
export interface ContractFields {
  contractNo: string;
  title: string;
  buyerName: string;
  supplierName: string;
  goods: string;
  /** Yuan, two decimals. */
  amount: string;
  deliveryPlace: string;
  deliveryDate: string;
  terms: string;
}

/** Where a seal goes: the manual's 甲方/乙方 公章 and 代表 positions. */
export type SealPosition = 'supplier-company' | 'supplier-person' | 'buyer-company' | 'buyer-person';

export const SEAL_POSITIONS: readonly SealPosition[] = ['supplier-company', 'supplier-person', 'buyer-company', 'buyer-person'];

/** Chinese labels, also used as the PDF signature field names. */
export const POSITION_LABEL: Record<SealPosition, string> = {
  'supplier-company': '乙方公章',
  'supplier-person': '乙方代表',
  'buyer-company': '甲方公章',
  'buyer-person': '甲方代表',
};

/** Position boxes on page 1, PDF points [x1, y1, x2, y2]. */
export const POSITION_RECT: Record<SealPosition, [number, number, number, number]> = {
  'buyer-company': [70, 150, 200, 280],
  'buyer-person': [170, 92, 270, 142],
  'supplier-company': [345, 150, 475, 280],
  'supplier-person': [445, 92, 545, 142],
};

const PAGE: [number, number] = [595, 842];
const MARGIN = 56;
const BLACK = rgb(0, 0, 0);
const GREY = rgb(0.55, 0.55, 0.55);

/** Splits text into lines that fit `width` (CJK text breaks between any two characters). */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = '';
    for (const ch of paragraph) {
      if (font.widthOfTextAtSize(line + ch, size) > width) {
        lines.push(line);
        line = ch;
      } else line += ch;
    }
    lines.push(line);
  }
  return lines;
}

function dashedBox(page: PDFPage, [x1, y1, x2, y2]: [number, number, number, number]): void {
  page.drawRectangle({ x: x1, y: y1, width: x2 - x1, height: y2 - y1, borderColor: GREY, borderWidth: 0.5, borderDashArray: [3, 3] });
}

/** The contract PDF, saved with a classic xref table so seals can be appended as incremental updates. */
export async function renderContractPdf(f: ContractFields): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const cjk = loadCjkFont();
  const font = await doc.embedFont(cjk.bytes, { subset: true });
  doc.setTitle(f.title);
  doc.setCreator('CA互认助手参考商城');
  doc.setProducer('CA互认助手参考商城');
  const page = doc.addPage(PAGE);
  const width = PAGE[0] - 2 * MARGIN;
  let y = 780;
  const text = (s: string, size = 11, x = MARGIN, color = BLACK): void => {
    page.drawText(s, { x, y, size, font, color });
  };
  const titleSize = 18;
  text(f.title, titleSize, (PAGE[0] - font.widthOfTextAtSize(f.title, titleSize)) / 2);
  y -= 26;
  text(`合同编号：${f.contractNo}`, 10, MARGIN, GREY);
  y -= 26;
  const rows: Array<[string, string]> = [
    ['甲方（采购人）', f.buyerName],
    ['乙方（供应商）', f.supplierName],
    ['采购标的', f.goods],
    ['合同金额', `人民币 ${yuan(f.amount)} 元`],
    ['交货地点', f.deliveryPlace],
    ['交货日期', f.deliveryDate],
  ];
  for (const [label, value] of rows) {
    for (const [i, line] of wrap(`${label}：${value}`, font, 11, width).entries()) {
      text(line, 11, MARGIN + (i > 0 ? 24 : 0));
      y -= 18;
    }
  }
  y -= 6;
  text('合同条款', 12);
  y -= 20;
  for (const line of wrap(f.terms, font, 10.5, width).slice(0, 18)) {
    text(line, 10.5);
    y -= 16;
  }
  y = 300;
  text(`甲方（盖章）：${f.buyerName}`, 10.5, 70);
  text(`乙方（盖章）：${f.supplierName}`, 10.5, 345);
  y = 112;
  text('甲方代表（签章）：', 10.5, 70);
  text('乙方代表（签章）：', 10.5, 345);
  for (const position of SEAL_POSITIONS) dashedBox(page, POSITION_RECT[position]);
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
